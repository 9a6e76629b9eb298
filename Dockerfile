# Build: the release binary, with dependencies cached in their own layer.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && echo '' > src/lib.rs \
    && echo 'fn main() {}' > benches/ack_latency.rs \
    && cargo build --release --locked \
    && rm -rf src benches
COPY build.rs ./
COPY src ./src
COPY benches ./benches
# The commit `/sentry version` names: `fly deploy --build-arg SOURCE_COMMIT=$(git rev-parse HEAD)`.
ARG SOURCE_COMMIT=unknown
ENV SOURCE_COMMIT=$SOURCE_COMMIT
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin sentry-slack-bot

# Run: a slim image with CA certificates, the binary only, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home bot
COPY --from=build /src/target/release/sentry-slack-bot /usr/local/bin/sentry-slack-bot
USER bot
WORKDIR /data
ENV BIND=0.0.0.0:8080 LOG_FORMAT=json DATABASE_URL=sqlite:///data/sentry-slack-bot.db
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/sentry-slack-bot"]
CMD ["serve"]
