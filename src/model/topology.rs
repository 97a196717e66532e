//! The park as a graph: clients -> lb1 -> web1..N -> store1..M -> backup1.
//!
//! Built once per scenario with `petgraph`; links carry latency distributions. The graph
//! answers reachability ("is there a path from clients to storage?") for validation and the
//! availability oracle, and draws itself as Graphviz DOT. It holds no runtime state.

use super::dist::Dist;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
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

/// How many nodes of each tier the generated park has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParkShape {
    pub(crate) web_count: u32,
    pub(crate) storage_count: u32,
    /// A backup server behind the storage.
    pub(crate) backup: bool,
    /// A second balancer, lb2, beside lb1.
    pub(crate) lb_pair: bool,
}

/// The one-way latency of each tier's links in the generated park.
#[derive(Clone, Debug)]
pub(crate) struct ParkLinks {
    pub(crate) client_lb: Dist,
    pub(crate) lb_web: Dist,
    pub(crate) web_storage: Dist,
}

/// Which end of a link override names a node that does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkEnd {
    From,
    To,
}

/// Why a link override does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// No node of that name; `nodes` are the park's names.
    NoNode {
        end: LinkEnd,
        name: String,
        nodes: Vec<String>,
    },
    /// Both nodes exist but the park has no link between them in that direction.
    NoLink,
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
    /// The links the request path reads on every request, by position, so that no request
    /// searches lb1's edge list (its length is the number of web servers): clients -> lb1,
    /// lb1 -> web `i`, web `i` -> storage `j` at `i * storage.len() + j`. `None` once
    /// `override_link` removed the link. A stable graph keeps edge indices across removals.
    client_lb_edge: Option<EdgeIndex>,
    lb_web_edge: Vec<Option<EdgeIndex>>,
    web_storage_edge: Vec<Option<EdgeIndex>>,
}

impl Topology {
    /// The generated park: clients -> lb1 (and lb2 when `lb_pair`) -> every web server ->
    /// every storage node (-> backup1 when `backup`), every link of a tier with its latency.
    pub(crate) fn park(shape: ParkShape, links: ParkLinks) -> Self {
        let mut g = StableDiGraph::new();
        let node = |g: &mut StableDiGraph<Node, LinkModel>, name: String, kind| g.add_node(Node { name, kind });
        let clients = node(&mut g, "clients".into(), NodeKind::Clients);
        let lb = node(&mut g, "lb1".into(), NodeKind::Balancer);
        let web: Vec<_> = (0..shape.web_count as usize)
            .map(|i| node(&mut g, format!("web{}", i + 1), NodeKind::Web(i)))
            .collect();
        let storage: Vec<_> = (0..shape.storage_count as usize)
            .map(|i| node(&mut g, format!("store{}", i + 1), NodeKind::Storage(i)))
            .collect();
        let backup = shape.backup.then(|| node(&mut g, "backup1".into(), NodeKind::Backup));
        let link = |d: &Dist| LinkModel { latency: d.clone() };
        g.add_edge(clients, lb, link(&links.client_lb));
        let lb2 = shape.lb_pair.then(|| node(&mut g, "lb2".into(), NodeKind::Balancer));
        if let Some(l2) = lb2 {
            g.add_edge(clients, l2, link(&links.client_lb));
        }
        for &w in &web {
            g.add_edge(lb, w, link(&links.lb_web));
            if let Some(l2) = lb2 {
                g.add_edge(l2, w, link(&links.lb_web));
            }
            for &s in &storage {
                g.add_edge(w, s, link(&links.web_storage));
            }
        }
        if let Some(b) = backup {
            for &s in &storage {
                g.add_edge(s, b, link(&links.web_storage));
            }
        }
        let client_lb_edge = g.find_edge(clients, lb);
        let lb_web_edge = web.iter().map(|&w| g.find_edge(lb, w)).collect();
        let web_storage_edge = web
            .iter()
            .flat_map(|&w| storage.iter().map(move |&st| (w, st)))
            .map(|(w, st)| g.find_edge(w, st))
            .collect();
        Topology {
            graph: g,
            web,
            storage,
            clients,
            lb,
            client_lb_edge,
            lb_web_edge,
            web_storage_edge,
        }
    }

    /// Override the link `from -> to` (node names): drop it, or give it another latency.
    pub(crate) fn override_link(
        &mut self,
        from: &str,
        to: &str,
        latency: Option<Dist>,
        enabled: bool,
    ) -> Result<(), LinkError> {
        let find = |name: &str, end| {
            self.index_by_name(name).ok_or_else(|| LinkError::NoNode {
                end,
                name: name.to_string(),
                nodes: self.node_names(),
            })
        };
        let (a, b) = (find(from, LinkEnd::From)?, find(to, LinkEnd::To)?);
        let Some(e) = self.graph.find_edge(a, b) else {
            return Err(LinkError::NoLink);
        };
        if !enabled {
            self.graph.remove_edge(e);
            let edges = std::iter::once(&mut self.client_lb_edge)
                .chain(&mut self.lb_web_edge)
                .chain(&mut self.web_storage_edge);
            for cached in edges.filter(|c| **c == Some(e)) {
                *cached = None;
            }
        } else if let Some(latency) = latency {
            self.graph[e] = LinkModel { latency };
        }
        Ok(())
    }

    /// Whether requests can flow: clients reach lb1, lb1 every web server and, when requests
    /// need storage, every web server the storage primary. The first broken path, in words.
    pub(crate) fn check_paths(&self, needs_storage: bool) -> Result<(), String> {
        if !self.reachable(self.clients, self.lb) {
            return Err("the clients cannot reach lb1".into());
        }
        for (i, &w) in self.web.iter().enumerate() {
            if !self.reachable(self.lb, w) {
                return Err(format!("web{} is not reachable from lb1", i + 1));
            }
            let to_primary = self
                .storage
                .first()
                .is_some_and(|&s| self.graph.find_edge(w, s).is_some());
            if needs_storage && !to_primary {
                return Err(format!(
                    "no path from clients to storage through web{}: it has no link to store1 (the storage primary), but requests read or write storage",
                    i + 1
                ));
            }
        }
        Ok(())
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

    fn latency(&self, e: Option<EdgeIndex>) -> Option<&Dist> {
        e.map(|e| &self.graph[e].latency)
    }

    /// One-way latency clients -> lb1.
    pub(crate) fn client_latency(&self) -> &Dist {
        self.latency(self.client_lb_edge).expect("validated: clients reach lb1")
    }

    /// One-way latency lb1 -> web `i`.
    pub(crate) fn lb_web_latency(&self, i: usize) -> &Dist {
        self.latency(self.lb_web_edge[i])
            .expect("validated: lb1 reaches every web server")
    }

    /// One-way latency web `i` -> storage `j`, if they are linked.
    pub(crate) fn web_storage_latency(&self, i: usize, j: usize) -> Option<&Dist> {
        self.latency(self.web_storage_edge[i * self.storage.len() + j])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::SimDuration;

    /// The request path's cached links answer as the graph does, after overrides that remove
    /// links and change latencies.
    #[test]
    fn cached_links_follow_the_overrides() {
        let ms = |v| Dist::Deterministic(SimDuration::from_millis(v));
        let shape = ParkShape {
            web_count: 4,
            storage_count: 2,
            backup: true,
            lb_pair: true,
        };
        let links = ParkLinks {
            client_lb: ms(1),
            lb_web: ms(2),
            web_storage: ms(3),
        };
        let mut t = Topology::park(shape, links);
        t.override_link("lb1", "web3", None, false).unwrap();
        t.override_link("web2", "store2", None, false).unwrap();
        t.override_link("web4", "store1", Some(ms(9)), true).unwrap();
        t.override_link("clients", "lb1", Some(ms(5)), true).unwrap();
        assert_eq!(t.override_link("lb1", "web3", None, false), Err(LinkError::NoLink));
        let graph = |a: NodeIndex, b: NodeIndex| t.graph.find_edge(a, b).map(|e| t.graph[e].latency.mean_ns());
        assert_eq!(Some(t.client_latency().mean_ns()), graph(t.clients, t.lb));
        assert_eq!(t.client_latency().mean_ns(), 5e6);
        for i in 0..4 {
            let cached = t.lb_web_edge[i].map(|_| t.lb_web_latency(i).mean_ns());
            assert_eq!(cached, graph(t.lb, t.web[i]), "lb1 -> web{}", i + 1);
            for j in 0..2 {
                let cached = t.web_storage_latency(i, j).map(Dist::mean_ns);
                assert_eq!(cached, graph(t.web[i], t.storage[j]), "web{} -> store{}", i + 1, j + 1);
            }
        }
        assert_eq!(t.lb_web_edge[2], None);
        assert!(t.web_storage_latency(1, 1).is_none());
        assert_eq!(t.web_storage_latency(3, 0).map(Dist::mean_ns), Some(9e6));
    }
}
