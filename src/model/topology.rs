//! The park as a graph: clients -> lb1 -> web1..N -> store1..M -> backup1.
//!
//! Built once per scenario with `petgraph`; links carry latency distributions. The graph
//! answers reachability ("is there a path from clients to storage?") for validation and the
//! availability oracle, and draws itself as Graphviz DOT. It holds no runtime state.

use super::dist::Dist;
use crate::scenario::{DistSpec, Scenario, dist};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::{Bfs, EdgeRef, IntoEdgeReferences};
use std::fmt::Write;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Clients,
    Balancer,
    /// Web server by 0-based position.
    Web(usize),
    /// Storage node by 0-based position; position 0 starts as primary.
    Storage(usize),
    Backup,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) kind: NodeKind,
}

/// A directed link and its one-way latency.
#[derive(Clone, Debug)]
pub(crate) struct LinkModel {
    pub(crate) latency: Dist,
}

#[derive(Clone, Debug)]
pub struct Topology {
    graph: StableDiGraph<Node, LinkModel>,
    web: Vec<NodeIndex>,
    storage: Vec<NodeIndex>,
    clients: NodeIndex,
    lb: NodeIndex,
}

impl Topology {
    /// Generate the park from tier counts and apply `[[link]]` overrides; check that clients
    /// can reach storage through every web server when requests need storage.
    pub(crate) fn build(
        spec: &Scenario,
        web_count: u32,
        storage_count: u32,
        needs_storage: bool,
    ) -> Result<Self, (String, String)> {
        let mut g = StableDiGraph::new();
        let node = |g: &mut StableDiGraph<Node, LinkModel>, name: String, kind| g.add_node(Node { name, kind });
        let clients = node(&mut g, "clients".into(), NodeKind::Clients);
        let lb = node(&mut g, "lb1".into(), NodeKind::Balancer);
        let web: Vec<_> = (0..web_count as usize)
            .map(|i| node(&mut g, format!("web{}", i + 1), NodeKind::Web(i)))
            .collect();
        let storage: Vec<_> = (0..storage_count as usize)
            .map(|i| node(&mut g, format!("store{}", i + 1), NodeKind::Storage(i)))
            .collect();
        let backup = spec
            .backup
            .enabled
            .then(|| node(&mut g, "backup1".into(), NodeKind::Backup));
        let n = &spec.network;
        let link = |key: &str, d: &DistSpec| -> Result<LinkModel, (String, String)> {
            Ok(LinkModel { latency: dist(key, d)? })
        };
        g.add_edge(clients, lb, link("network.client_lb", &n.client_lb)?);
        let lb2 = spec.balancer.pair.then(|| {
            g.add_node(Node {
                name: "lb2".into(),
                kind: NodeKind::Balancer,
            })
        });
        if let Some(l2) = lb2 {
            g.add_edge(clients, l2, link("network.client_lb", &n.client_lb)?);
        }
        for &w in &web {
            g.add_edge(lb, w, link("network.lb_web", &n.lb_web)?);
            if let Some(l2) = lb2 {
                g.add_edge(l2, w, link("network.lb_web", &n.lb_web)?);
            }
            for &s in &storage {
                g.add_edge(w, s, link("network.web_storage", &n.web_storage)?);
            }
        }
        if let Some(b) = backup {
            for &s in &storage {
                g.add_edge(s, b, link("network.web_storage", &n.web_storage)?);
            }
        }
        let mut topo = Topology {
            graph: g,
            web,
            storage,
            clients,
            lb,
        };
        for (i, l) in spec.links.iter().enumerate() {
            let key = format!("link[{i}]");
            let find = |name: &str, k: &str| {
                topo.index_by_name(name).ok_or_else(|| {
                    (
                        format!("{key}.{k}"),
                        format!("no node `{name}`; nodes are {}", topo.node_names().join(", ")),
                    )
                })
            };
            let (a, b) = (find(&l.from, "from")?, find(&l.to, "to")?);
            let Some(e) = topo.graph.find_edge(a, b) else {
                return Err((
                    format!("{key}.to"),
                    format!("there is no link {} -> {} in the park's topology", l.from, l.to),
                ));
            };
            if !l.enabled {
                topo.graph.remove_edge(e);
            } else if let Some(d) = &l.latency {
                topo.graph[e] = link(&format!("{key}.latency"), d)?;
            }
        }
        if !topo.reachable(topo.clients, topo.lb) {
            return Err(("link".into(), "the clients cannot reach lb1".into()));
        }
        for (i, &w) in topo.web.iter().enumerate() {
            if !topo.reachable(topo.lb, w) {
                return Err(("link".into(), format!("web{} is not reachable from lb1", i + 1)));
            }
            if needs_storage
                && topo
                    .storage
                    .first()
                    .is_none_or(|&s| topo.graph.find_edge(w, s).is_none())
            {
                return Err((
                    "link".into(),
                    format!(
                        "no path from clients to storage through web{}: it has no link to store1 (the storage primary), but requests read or write storage",
                        i + 1
                    ),
                ));
            }
        }
        Ok(topo)
    }

    fn reachable(&self, from: NodeIndex, to: NodeIndex) -> bool {
        let mut bfs = Bfs::new(&self.graph, from);
        while let Some(n) = bfs.next(&self.graph) {
            if n == to {
                return true;
            }
        }
        false
    }

    fn index_by_name(&self, name: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|&i| self.graph[i].name == name)
    }

    /// Dense node index (0..node_count) by name.
    pub fn node_by_name(&self, name: &str) -> Option<usize> {
        self.index_by_name(name).map(|i| i.index())
    }

    pub(crate) fn kind(&self, node: usize) -> NodeKind {
        self.graph[NodeIndex::new(node)].kind
    }

    pub fn name(&self, node: usize) -> &str {
        &self.graph[NodeIndex::new(node)].name
    }

    pub(crate) fn node_names(&self) -> Vec<String> {
        self.graph.node_indices().map(|i| self.graph[i].name.clone()).collect()
    }

    /// Every link as (from, to) node names, in insertion order (for drawings such as the
    /// customer report's).
    pub(crate) fn links(&self) -> Vec<(String, String)> {
        (&self.graph)
            .edge_references()
            .map(|e| (self.graph[e.source()].name.clone(), self.graph[e.target()].name.clone()))
            .collect()
    }

    /// Node index of web server `i`.
    pub(crate) fn web_node(&self, i: usize) -> usize {
        self.web[i].index()
    }

    /// Node index of storage node `j`.
    pub(crate) fn storage_node(&self, j: usize) -> usize {
        self.storage[j].index()
    }

    fn latency(&self, a: NodeIndex, b: NodeIndex) -> Option<&Dist> {
        self.graph.find_edge(a, b).map(|e| &self.graph[e].latency)
    }

    /// One-way latency clients -> lb1.
    pub(crate) fn client_latency(&self) -> &Dist {
        self.latency(self.clients, self.lb)
            .expect("validated: clients reach lb1")
    }

    /// One-way latency lb1 -> web `i`.
    pub(crate) fn lb_web_latency(&self, i: usize) -> &Dist {
        self.latency(self.lb, self.web[i])
            .expect("validated: lb1 reaches every web server")
    }

    /// One-way latency web `i` -> storage `j`, if they are linked.
    pub(crate) fn web_storage_latency(&self, i: usize, j: usize) -> Option<&Dist> {
        self.latency(self.web[i], self.storage[j])
    }

    /// Graphviz DOT of the park, links labelled with their mean latency.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph park {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
        for i in self.graph.node_indices() {
            let n = &self.graph[i];
            let shape = match n.kind {
                NodeKind::Clients => "ellipse",
                NodeKind::Storage(_) | NodeKind::Backup => "cylinder",
                _ => "box",
            };
            let _ = writeln!(s, "  \"{}\" [shape={shape}];", n.name);
        }
        for e in (&self.graph).edge_references() {
            let (a, b) = (&self.graph[e.source()].name, &self.graph[e.target()].name);
            let _ = writeln!(
                s,
                "  \"{a}\" -> \"{b}\" [label=\"{:.2} ms\"];",
                e.weight().latency.mean_ns() / 1e6
            );
        }
        s.push_str("}\n");
        s
    }
}
