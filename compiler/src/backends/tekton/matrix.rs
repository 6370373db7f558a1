//! Matrix jobs as Tekton `matrix` fan-out.
//!
//! Tekton fans a PipelineTask out over Task parameters: `matrix.params` gives each parameter a
//! list, `matrix.include` lists explicit combinations. A job's matrix axes are mapped onto the
//! parameters whose arguments read them. Invariant: when every such argument is exactly one axis
//! and each axis feeds at most one parameter, the plan uses `matrix.params`; otherwise it
//! enumerates every combination in `matrix.include` with the matrix values written in, so any
//! argument text works. An axis that no argument reads still multiplies the runs, through a
//! parameter of its own that the Task declares (see [`super::layout::TaskShape::matrix_extra`]).

use super::refs;
use crate::ir::{Matrix, MatrixAxis, Ref, Template};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// The values one axis takes.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisValues {
    List(Vec<String>),
    /// The JSON list a result of another job holds (an array result).
    Result {
        job: usize,
        result: String,
    },
}

/// How one job fans out.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// `matrix.params`: a parameter and the values it takes.
    pub axis_params: Vec<(String, AxisValues)>,
    /// `matrix.include`: a name and the parameters of each combination.
    pub include: Vec<(String, Vec<(String, Template)>)>,
    /// Parameters whose values come from the matrix (never passed as plain `params`).
    pub bound: BTreeSet<String>,
    /// Axes no argument reads, with the parameter that carries each.
    pub extra: Vec<(String, String)>,
}

/// Plans the fan-out of a job whose Task receives `values`; `taken` tells which parameter names
/// the Task already uses.
pub fn plan(m: &Matrix, values: &[(String, Template)], taken: &dyn Fn(&str) -> bool) -> Plan {
    let mut out = Plan::default();
    let mut claimed: IndexMap<String, String> = IndexMap::new();
    let mut read: BTreeSet<&str> = BTreeSet::new();
    let mut simple = true;
    for (name, t) in values {
        let axes: Vec<&str> = t
            .refs()
            .filter_map(|r| match r {
                Ref::Matrix(a) => Some(a.as_str()),
                _ => None,
            })
            .collect();
        if axes.is_empty() {
            continue;
        }
        read.extend(axes);
        out.bound.insert(name.clone());
        match refs::only_ref(t) {
            Some(Ref::Matrix(a)) if m.axes.contains_key(a) && !claimed.contains_key(a) => {
                claimed.insert(a.clone(), name.clone());
            }
            _ => simple = false,
        }
    }
    for axis in m.axes.keys() {
        if !read.contains(axis.as_str()) {
            let wanted = format!("matrix-{}", refs::kebab(axis));
            let param = refs::unique(&wanted, &|n| {
                taken(n) || out.extra.iter().any(|(_, p)| p == n)
            });
            out.extra.push((axis.clone(), param));
        }
    }
    let enumerable = m.axes.values().all(|a| matches!(a, MatrixAxis::Values(_)));
    if simple || !enumerable {
        out.axis_params = axis_params(m, &claimed, &out.extra);
    } else {
        out.include = combinations(m, values, &out.bound, &out.extra);
    }
    out
}

fn axis_params(
    m: &Matrix,
    claimed: &IndexMap<String, String>,
    extra: &[(String, String)],
) -> Vec<(String, AxisValues)> {
    m.axes
        .iter()
        .filter_map(|(axis, values)| {
            let param = claimed
                .get(axis)
                .or_else(|| extra.iter().find(|(a, _)| a == axis).map(|(_, p)| p))?;
            let v = match values {
                MatrixAxis::Values(list) => AxisValues::List(list.clone()),
                MatrixAxis::Changed { job, result } => AxisValues::Result {
                    job: *job,
                    result: result.clone(),
                },
            };
            Some((param.clone(), v))
        })
        .collect()
}

/// Every combination of the axes' values, with the matrix values written into the arguments.
fn combinations(
    m: &Matrix,
    values: &[(String, Template)],
    bound: &BTreeSet<String>,
    extra: &[(String, String)],
) -> Vec<(String, Vec<(String, Template)>)> {
    let mut combos: Vec<IndexMap<String, String>> = vec![IndexMap::new()];
    for (axis, v) in &m.axes {
        let MatrixAxis::Values(list) = v else {
            continue;
        };
        combos = combos
            .into_iter()
            .flat_map(|c| {
                list.iter().map(move |x| {
                    let mut c = c.clone();
                    c.insert(axis.clone(), x.clone());
                    c
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .map(|c| (combo_name(&c), combo_params(&c, values, bound, extra)))
        .collect()
}

fn combo_params(
    c: &IndexMap<String, String>,
    values: &[(String, Template)],
    bound: &BTreeSet<String>,
    extra: &[(String, String)],
) -> Vec<(String, Template)> {
    let mut params: Vec<(String, Template)> = values
        .iter()
        .filter(|(n, _)| bound.contains(n))
        .map(|(n, t)| {
            let t = t.substitute(&mut |r| match r {
                Ref::Matrix(a) => c.get(a).map(|v| Template::lit(v.clone())),
                _ => None,
            });
            (n.clone(), t)
        })
        .collect();
    for (axis, param) in extra {
        if let Some(v) = c.get(axis) {
            params.push((param.clone(), Template::lit(v.clone())));
        }
    }
    params
}

fn combo_name(c: &IndexMap<String, String>) -> String {
    let text: Vec<String> = c.iter().map(|(a, v)| format!("{a}-{v}")).collect();
    refs::kebab(&text.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::TemplatePart;

    fn matrix(axes: &[(&str, &[&str])]) -> Matrix {
        Matrix {
            axes: axes
                .iter()
                .map(|(a, vs)| {
                    let list = vs.iter().map(|v| v.to_string()).collect();
                    (a.to_string(), MatrixAxis::Values(list))
                })
                .collect(),
            include: Vec::new(),
            exclude: Vec::new(),
            fail_fast: true,
            max_parallel: None,
        }
    }

    #[test]
    fn whole_arguments_use_matrix_params() {
        let m = matrix(&[("java", &["17", "21"]), ("os", &["a", "b"])]);
        let values = vec![(
            "version".to_string(),
            Template::of_ref(Ref::Matrix("java".into())),
        )];
        let p = plan(&m, &values, &|_| false);
        assert!(p.include.is_empty());
        assert_eq!(p.axis_params.len(), 2);
        assert_eq!(p.axis_params[0].0, "version");
        assert_eq!(p.extra, vec![("os".to_string(), "matrix-os".to_string())]);
    }

    #[test]
    fn mixed_arguments_enumerate_combinations() {
        let m = matrix(&[("java", &["17", "21"])]);
        let t = Template {
            parts: vec![
                TemplatePart::Lit("-Djava=".into()),
                TemplatePart::Ref(Ref::Matrix("java".into())),
            ]
            .into(),
        };
        let p = plan(&m, &[("flags".to_string(), t)], &|_| false);
        assert_eq!(p.include.len(), 2);
        assert!(p.extra.is_empty());
        assert_eq!(p.include[0].0, "java-17");
        assert_eq!(
            p.include[1].1[0].1.as_literal().as_deref(),
            Some("-Djava=21")
        );
    }
}
