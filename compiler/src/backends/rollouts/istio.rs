//! The Istio objects a canary with Istio traffic routing needs: a VirtualService whose `primary`
//! HTTP route splits traffic between the `stable` and `canary` subsets, and a DestinationRule
//! that declares those subsets (networking.istio.io/v1).
//!
//! Invariants: both are named after the service and point at the service's own Service by its
//! short name, so the Kustomize name-reference configuration (see `config.rs`) renames them
//! together with the Service when an overlay adds a name prefix. The route starts with all
//! traffic on `stable`; Argo Rollouts changes the weights during a rollout and injects the
//! pod-template-hash label into the subsets.

use serde::Serialize;

use crate::backends::kustomize::k8s::{self, ObjectMeta};

/// The route Argo Rollouts manages.
pub const ROUTE: &str = "primary";
pub const STABLE: &str = "stable";
pub const CANARY: &str = "canary";
/// The API group of the Istio networking objects.
pub const GROUP: &str = "networking.istio.io";
const API_VERSION: &str = "networking.istio.io/v1";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualService<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: VirtualServiceSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct VirtualServiceSpec {
    pub hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<String>,
    pub http: Vec<HttpRoute>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpRoute {
    pub name: &'static str,
    pub route: Vec<RouteDestination>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteDestination {
    pub destination: Destination,
    pub weight: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Destination {
    pub host: String,
    pub subset: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRule<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: DestinationRuleSpec<'p>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DestinationRuleSpec<'p> {
    pub host: String,
    pub subsets: Vec<Subset<'p>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subset<'p> {
    pub name: &'static str,
    pub labels: k8s::NameLabels<'p>,
}

/// The VirtualService of service `svc`: in the mesh under the Service's name, and also under
/// the public `host` when one is given; bound to `gateway` (and the mesh) when one is given.
pub fn virtual_service<'p>(
    svc: &'p str,
    host: Option<&str>,
    gateway: Option<&str>,
) -> VirtualService<'p> {
    let mut hosts: Vec<String> = host.map(str::to_string).into_iter().collect();
    hosts.push(svc.to_string());
    let gateways = match gateway {
        Some(g) => vec![g.to_string(), "mesh".to_string()],
        None => Vec::new(),
    };
    let to = |subset, weight| RouteDestination {
        destination: Destination {
            host: svc.to_string(),
            subset,
        },
        weight,
    };
    VirtualService {
        api_version: API_VERSION,
        kind: "VirtualService",
        metadata: ObjectMeta::named(svc),
        spec: VirtualServiceSpec {
            hosts,
            gateways,
            http: vec![HttpRoute {
                name: ROUTE,
                route: vec![to(STABLE, 100), to(CANARY, 0)],
            }],
        },
    }
}

/// The DestinationRule of service `svc` with the `stable` and `canary` subsets.
pub fn destination_rule(svc: &str) -> DestinationRule<'_> {
    let subset = |name| Subset {
        name,
        labels: k8s::selector_labels(svc),
    };
    DestinationRule {
        api_version: API_VERSION,
        kind: "DestinationRule",
        metadata: ObjectMeta::named(svc),
        spec: DestinationRuleSpec {
            host: svc.to_string(),
            subsets: vec![subset(STABLE), subset(CANARY)],
        },
    }
}
