//! Which org a bare `project` belongs to, decided over the linked orgs'
//! project lists. Pure.

use crate::commands::parse::ProjectRef;

/// The outcome of resolving a project reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Exactly one match.
    Found {
        /// Org slug.
        org: String,
        /// Project slug.
        project: String,
    },
    /// Several linked orgs have a project of that slug.
    Ambiguous {
        /// `org/project` candidates.
        candidates: Vec<String>,
    },
    /// No linked org has it.
    NotFound {
        /// Closest `org/project` slugs, best first.
        suggestions: Vec<String>,
    },
}

/// Resolves `target` against `(org, project slugs)` pairs.
pub(crate) fn resolve(target: &ProjectRef, catalog: &[(String, Vec<String>)]) -> Resolution {
    let in_scope = catalog
        .iter()
        .filter(|(org, _)| target.org.as_ref().is_none_or(|o| o == org));
    let mut matches: Vec<(String, String)> = Vec::new();
    let mut all: Vec<String> = Vec::new();
    for (org, projects) in in_scope {
        for project in projects {
            if project.eq_ignore_ascii_case(&target.project) {
                matches.push((org.clone(), project.clone()));
            }
            all.push(format!("{org}/{project}"));
        }
    }
    match matches.len() {
        1 => {
            let (org, project) = matches.remove(0);
            Resolution::Found { org, project }
        }
        0 => Resolution::NotFound {
            suggestions: closest(&target.project, &all),
        },
        _ => Resolution::Ambiguous {
            candidates: matches
                .into_iter()
                .map(|(o, p)| format!("{o}/{p}"))
                .collect(),
        },
    }
}

/// Up to five `org/project` names whose project part is close to `wanted`.
fn closest(wanted: &str, all: &[String]) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(f64, &String)> = all
        .iter()
        .filter_map(|full| {
            let project = full.split_once('/').map_or(full.as_str(), |(_, p)| p);
            let similarity = strsim::jaro_winkler(&wanted, project);
            let contains = project.contains(&wanted) || wanted.contains(project);
            let score = if contains {
                similarity.max(0.9)
            } else {
                similarity
            };
            (score >= 0.8).then_some((score, full))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(5).map(|(_, s)| s.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<(String, Vec<String>)> {
        vec![
            (
                "acme".into(),
                vec!["api".into(), "web".into(), "api-gateway".into()],
            ),
            ("globex".into(), vec!["web".into(), "billing".into()]),
        ]
    }

    fn target(org: Option<&str>, project: &str) -> ProjectRef {
        ProjectRef {
            org: org.map(str::to_string),
            project: project.into(),
        }
    }

    #[test]
    fn a_bare_project_in_one_org_resolves() {
        assert_eq!(
            resolve(&target(None, "api"), &catalog()),
            Resolution::Found {
                org: "acme".into(),
                project: "api".into()
            }
        );
    }

    #[test]
    fn a_bare_project_in_several_orgs_lists_the_candidates() {
        assert_eq!(
            resolve(&target(None, "web"), &catalog()),
            Resolution::Ambiguous {
                candidates: vec!["acme/web".into(), "globex/web".into()]
            }
        );
        assert_eq!(
            resolve(&target(Some("globex"), "web"), &catalog()),
            Resolution::Found {
                org: "globex".into(),
                project: "web".into()
            }
        );
    }

    #[test]
    fn unknown_projects_suggest_the_closest() {
        let Resolution::NotFound { suggestions } = resolve(&target(None, "api-gatewy"), &catalog())
        else {
            panic!("not found expected")
        };
        assert_eq!(suggestions[0], "acme/api-gateway");
        let Resolution::NotFound { suggestions } = resolve(&target(None, "biling"), &catalog())
        else {
            panic!("not found expected")
        };
        assert_eq!(suggestions, ["globex/billing"]);
        let Resolution::NotFound { suggestions } = resolve(&target(None, "zzz"), &catalog()) else {
            panic!("not found expected")
        };
        assert!(suggestions.is_empty());
        // An explicit org limits the search and the suggestions.
        let Resolution::NotFound { suggestions } =
            resolve(&target(Some("globex"), "api"), &catalog())
        else {
            panic!("not found expected")
        };
        assert!(suggestions.iter().all(|s| s.starts_with("globex/")));
    }
}
