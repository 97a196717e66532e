//! The refusal table: a snippet for every distinct refusal (each error path of the sections,
//! the value checks, the topology, the budget, the latency sample, and the file's syntax and
//! types), and the one key and line it must name.

use crate::scenario::{ScenarioError, from_str};

/// (snippet, the key refused, its 1-based line in the snippet).
const REFUSALS: &[(&str, &str, usize)] = &[
    // run
    ("name = \"a b\"", "name", 1),
    ("replications = 0", "replications", 1),
    ("horizon = \"0s\"", "horizon", 1),
    ("horizon = \"7x\"", "horizon", 1),
    ("horizon = \"300y\"", "horizon", 1),
    ("warmup = \"8d\"", "warmup", 1),
    // traffic
    ("[traffic]\nclients = 0", "traffic.clients", 2),
    ("[traffic]\nkind = \"poisson\"\nrate_per_s = 0", "traffic.rate_per_s", 3),
    ("[traffic]\nvisitors_per_month = -1.0", "traffic.visitors_per_month", 2),
    ("[traffic]\nrequests_per_visit = 0", "traffic.requests_per_visit", 2),
    (
        "[[traffic.burst]]\nstart = \"1x\"\nduration = \"1h\"\nmultiplier = 2",
        "traffic.burst[0].start",
        2,
    ),
    (
        "[[traffic.burst]]\nstart = \"1h\"\nduration = \"0s\"\nmultiplier = 2",
        "traffic.burst[0].duration",
        3,
    ),
    (
        "[[traffic.burst]]\nstart = \"1h\"\nduration = \"150y\"\nmultiplier = 2",
        "traffic.burst[0].duration",
        3,
    ),
    (
        "[[traffic.burst]]\nstart = \"1h\"\nduration = \"1h\"\nmultiplier = 2000",
        "traffic.burst[0].multiplier",
        4,
    ),
    ("[traffic]\nhourly_weights = [1.0]", "traffic.hourly_weights", 2),
    (
        "[traffic]\nweekday_weights = [1, 1, 1, 1, 1, 1, -1]",
        "traffic.weekday_weights",
        2,
    ),
    (
        "[traffic]\nweekday_weights = [1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308]",
        "traffic.weekday_weights",
        2,
    ),
    (
        "[traffic]\nweekday_weights = [0, 0, 0, 0, 0, 0, 0]",
        "traffic.weekday_weights",
        2,
    ),
    ("[requests]\nwrite_fraction = 1.5", "requests.write_fraction", 2),
    ("[requests]\nuri_count = 0", "requests.uri_count", 2),
    ("[requests]\nuri_zipf_s = -1.0", "requests.uri_zipf_s", 2),
    // tiers
    ("[web]\ncount = 0", "web.count", 2),
    ("[web]\nworkers = 0", "web.workers", 2),
    ("[storage]\ncount = 0", "storage.count", 2),
    ("[storage]\nworkers = 0", "storage.workers", 2),
    // distributions (the value checks every section uses)
    ("[web.service]\ndist = \"exponential\"", "web.service.mean_ms", 1),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = 1\nmean_s = 1",
        "web.service.mean_s",
        4,
    ),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = 1\nvalues_ms = [1]",
        "web.service.values_ms",
        4,
    ),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = 1\nweights = [1]",
        "web.service.weights",
        4,
    ),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = 1\ncv = 1",
        "web.service.cv",
        4,
    ),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = 1\nshape = 1",
        "web.service.shape",
        4,
    ),
    (
        "[web.service]\ndist = \"exponential\"\nmean_ms = -1",
        "web.service.mean_ms",
        3,
    ),
    (
        "[web.service]\ndist = \"deterministic\"\nmean_h = 1e9",
        "web.service.mean_h",
        3,
    ),
    ("[web.service]\ndist = \"lognormal\"\nmean_ms = 1", "web.service.cv", 1),
    (
        "[web.service]\ndist = \"lognormal\"\nmean_ms = 1\ncv = 1000",
        "web.service.cv",
        4,
    ),
    ("[web.service]\ndist = \"weibull\"\nmean_ms = 1", "web.service.shape", 1),
    (
        "[web.service]\ndist = \"weibull\"\nmean_ms = 1\nshape = 1000",
        "web.service.shape",
        4,
    ),
    (
        "[web.service]\ndist = \"empirical\"\nmean_ms = 1\nvalues_ms = [1]",
        "web.service.mean_ms",
        3,
    ),
    ("[web.service]\ndist = \"empirical\"", "web.service.values_ms", 1),
    (
        "[web.service]\ndist = \"empirical\"\nvalues_ms = []",
        "web.service.values_ms",
        3,
    ),
    (
        "[web.service]\ndist = \"empirical\"\nvalues_ms = [-1]",
        "web.service.values_ms",
        3,
    ),
    (
        "[web.service]\ndist = \"empirical\"\nvalues_ms = [1, 2]\nweights = [1]",
        "web.service.weights",
        4,
    ),
    (
        "[web.service]\ndist = \"empirical\"\nvalues_ms = [1, 2]\nweights = [0, 0]",
        "web.service.weights",
        4,
    ),
    // balancer
    ("[balancer]\nalgorithm = \"random\"\ndraws = 0", "balancer.draws", 3),
    ("[balancer]\ntimeout_connect_ms = 0", "balancer.timeout_connect_ms", 2),
    ("[balancer]\ntimeout_queue_ms = -1", "balancer.timeout_queue_ms", 2),
    ("[balancer]\ntimeout_server_ms = 0", "balancer.timeout_server_ms", 2),
    ("[balancer]\nretries = 101", "balancer.retries", 2),
    ("[balancer]\nweights = [1, 1]", "balancer.weights", 2),
    ("[balancer]\nweights = [1, 300, 1]", "balancer.weights[1]", 2),
    ("[balancer]\nbackup_servers = 3", "balancer.backup_servers", 2),
    ("[balancer]\nslowstart_ms = -1", "balancer.slowstart_ms", 2),
    ("[balancer]\nmaxconns = [1, 2]", "balancer.maxconns", 2),
    ("[balancer]\nslowstarts_ms = [0, -5, 0]", "balancer.slowstarts_ms[1]", 2),
    ("[balancer]\nids = [1, 2]", "balancer.ids", 2),
    ("[balancer]\nids = [1, 0, 3]", "balancer.ids[1]", 2),
    ("[balancer]\nids = [1, 1, 3]", "balancer.ids[1]", 2),
    ("[balancer]\ndisabled = [\"web9\"]", "balancer.disabled[0]", 2),
    ("[balancer]\ndisabled = [\"web1\", \"web1\"]", "balancer.disabled[1]", 2),
    (
        "mode = \"availability\"\n[balancer]\ndisabled = [\"web1\"]",
        "balancer.disabled",
        3,
    ),
    (
        "mode = \"availability\"\n[traffic]\nclients = 5000000000\n[balancer]\nalgorithm = \"source\"",
        "balancer.algorithm",
        5,
    ),
    ("[balancer.check]\ninter_ms = 0", "balancer.check.inter_ms", 2),
    ("[balancer.check]\nfastinter_ms = -1", "balancer.check.fastinter_ms", 2),
    ("[balancer.check]\ndowninter_ms = -1", "balancer.check.downinter_ms", 2),
    ("[balancer.check]\nrise = 0", "balancer.check.rise", 2),
    ("[balancer.check]\nfall = 0", "balancer.check.fall", 2),
    (
        "[balancer.check]\ntimeout_check_ms = -1",
        "balancer.check.timeout_check_ms",
        2,
    ),
    (
        "[balancer.check]\nenabled = false\nobserve = \"layer4\"",
        "balancer.check.observe",
        3,
    ),
    (
        "mode = \"availability\"\n[balancer.check]\nobserve = \"layer4\"",
        "balancer.check.observe",
        3,
    ),
    (
        "[balancer.check]\nobserve = \"layer4\"\nerror_limit = 0",
        "balancer.check.error_limit",
        3,
    ),
    (
        "[balancer.check.servers.web4]\ninter_ms = 5000",
        "balancer.check.servers.web4",
        1,
    ),
    (
        "[balancer.check.servers.web01]\nfall = 2",
        "balancer.check.servers.web01",
        1,
    ),
    (
        "[balancer.check.servers.web3]\ninter_ms = 0",
        "balancer.check.servers.web3.inter_ms",
        2,
    ),
    (
        "[balancer.check.servers.web2]\nfastinter_ms = -1",
        "balancer.check.servers.web2.fastinter_ms",
        2,
    ),
    (
        "[balancer.check.servers.web2]\ndowninter_ms = -1",
        "balancer.check.servers.web2.downinter_ms",
        2,
    ),
    (
        "[balancer.check.servers.web1]\nrise = 1001",
        "balancer.check.servers.web1.rise",
        2,
    ),
    (
        "[balancer.check.servers.web3]\nfall = 0",
        "balancer.check.servers.web3.fall",
        2,
    ),
    (
        "[balancer.check]\nenabled = false\ninter_ms = 0\n[balancer.check.servers.web2]\nenabled = true",
        "balancer.check.inter_ms",
        3,
    ),
    (
        "[balancer.check.servers.web2]\ntimeout_check_ms = 500",
        "balancer.check.servers.web2.timeout_check_ms",
        2,
    ),
    (
        "[balancer.check]\nobserve = \"layer4\"\n[balancer.check.servers.web2]\nenabled = false",
        "balancer.check.observe",
        2,
    ),
    (
        "[balancer.check.servers.web2]\nenabled = false\nobserve = \"layer4\"",
        "balancer.check.servers.web2.observe",
        3,
    ),
    (
        "mode = \"availability\"\n[balancer.check.servers.web3]\nobserve = \"layer4\"",
        "balancer.check.servers.web3.observe",
        3,
    ),
    (
        "[balancer.check.servers.web3]\nobserve = \"layer4\"\nerror_limit = 0",
        "balancer.check.servers.web3.error_limit",
        3,
    ),
    (
        "[balancer.check]\nobserve = \"layer4\"\nerror_limit = 0\n[balancer.check.servers.web3]\nerror_limit = 5",
        "balancer.check.error_limit",
        3,
    ),
    (
        "[balancer]\npair = true\nvrrp_advert_ms = 15",
        "balancer.vrrp_advert_ms",
        3,
    ),
    ("[balancer]\nvrrp_priority_lb1 = 256", "balancer.vrrp_priority_lb1", 2),
    (
        "[balancer]\npair = true\nvrrp_priority_lb1 = 150\nvrrp_priority_lb2 = 150",
        "balancer.vrrp_priority_lb2",
        4,
    ),
    (
        "[balancer]\npair = true\nvrrp_preempt_delay_ms = 1000001",
        "balancer.vrrp_preempt_delay_ms",
        3,
    ),
    (
        "[balancer.vrrp_track]\ninterval_ms = 0.5",
        "balancer.vrrp_track.interval_ms",
        2,
    ),
    ("[balancer.vrrp_track]\nfall = 0", "balancer.vrrp_track.fall", 2),
    ("[balancer.vrrp_track]\nweight = -254", "balancer.vrrp_track.weight", 2),
    // topology
    ("[[link]]\nfrom = \"x\"\nto = \"lb1\"", "link[0].from", 2),
    ("[[link]]\nfrom = \"clients\"\nto = \"x\"", "link[0].to", 3),
    ("[[link]]\nfrom = \"web1\"\nto = \"clients\"", "link[0].to", 3),
    (
        "[[link]]\nfrom = \"clients\"\nto = \"lb1\"\nlatency = { dist = \"exponential\" }",
        "link[0].latency.mean_ms",
        4,
    ),
    ("[[link]]\nfrom = \"clients\"\nto = \"lb1\"\nenabled = false", "link", 1),
    ("[[link]]\nfrom = \"lb1\"\nto = \"web1\"\nenabled = false", "link", 1),
    ("[[link]]\nfrom = \"web1\"\nto = \"store1\"\nenabled = false", "link", 1),
    ("[network.lb_web]\ndist = \"exponential\"", "network.lb_web.mean_ms", 1),
    // faults
    (
        "[[fault]]\nat = \"1x\"\ntarget = \"web1\"\nkind = \"crash\"",
        "fault[0].at",
        2,
    ),
    // at the horizon (the default is 7d) or after it: the fault would never happen
    (
        "[[fault]]\nat = \"7d\"\ntarget = \"web1\"\nkind = \"crash\"",
        "fault[0].at",
        2,
    ),
    (
        "horizon = \"1h\"\nwarmup = \"10m\"\n[[fault]]\nat = \"2h\"\ntarget = \"web1\"\nkind = \"crash\"",
        "fault[0].at",
        4,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"nope\"\nkind = \"crash\"",
        "fault[0].target",
        3,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"lb1\"\nkind = \"crash\"",
        "fault[0].target",
        3,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"partition\"\npeer = \"x\"",
        "fault[0].peer",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"partition\"\npeer = \"web2\"",
        "fault[0].peer",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"partition\"",
        "fault[0].peer",
        1,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\npeer = \"lb1\"",
        "fault[0].peer",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\ndirection = \"one_way\"",
        "fault[0].direction",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"disk_fill\"\nfactor = 1",
        "fault[0].target",
        3,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"store1\"\nkind = \"disk_fill\"",
        "fault[0].factor",
        1,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"slow\"\nfactor = 0.5",
        "fault[0].factor",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"slow\"",
        "fault[0].factor",
        1,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\nfactor = 2",
        "fault[0].factor",
        5,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"recover\"",
        "fault[0].kind",
        4,
    ),
    (
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"heal\"\npeer = \"lb1\"",
        "fault[0].kind",
        4,
    ),
    // reliability
    (
        "[reliability]\nnight_response_factor = 0",
        "reliability.night_response_factor",
        2,
    ),
    ("[reliability]\ncoverage = 2", "reliability.coverage", 2),
    ("[reliability]\ncrews = 0", "reliability.crews", 2),
    (
        "[reliability.response]\ndist = \"exponential\"",
        "reliability.response.mean_ms",
        1,
    ),
    ("[reliability.web]\ncrash = -1", "reliability.web.crash", 2),
    ("[reliability.lb]\nlink = 0.1", "reliability.lb.link", 2),
    ("[reliability.lb]\nslowdown = 0.1", "reliability.lb.slowdown", 2),
    (
        "[reliability.web]\nslowdown_factor = 0.5",
        "reliability.web.slowdown_factor",
        2,
    ),
    ("[reliability.web]\nafr = 1.5", "reliability.web.afr", 2),
    ("[reliability.web]\nafr = 0", "reliability.web.afr", 2),
    (
        "[reliability.web.ttf]\ndist = \"deterministic\"\nmean_h = 0",
        "reliability.web.ttf",
        1,
    ),
    (
        "[reliability.web.repair]\ndist = \"exponential\"",
        "reliability.web.repair.mean_ms",
        1,
    ),
    ("[reliability.disk]\nafr = 1", "reliability.disk.afr", 2),
    ("[reliability.disk]\nafr = 2", "reliability.disk.afr", 2),
    ("[reliability.disk]\ncapacity_gb = 0", "reliability.disk.capacity_gb", 2),
    (
        "[reliability.disk]\nrebuild_mb_per_s = 0",
        "reliability.disk.rebuild_mb_per_s",
        2,
    ),
    (
        "[reliability.disk]\ncapacity_gb = 1e12\nrebuild_mb_per_s = 1e-3",
        "reliability.disk.rebuild_mb_per_s",
        3,
    ),
    (
        "[reliability.disk]\ndegraded_hazard_factor = 0",
        "reliability.disk.degraded_hazard_factor",
        2,
    ),
    (
        "[reliability.disk]\nsmart_warning_share = 2",
        "reliability.disk.smart_warning_share",
        2,
    ),
    ("[reliability.disk]\nbatch_cv = 1", "reliability.disk.batch_cv", 2),
    (
        "[reliability.disk.replace]\ndist = \"exponential\"",
        "reliability.disk.replace.mean_ms",
        1,
    ),
    (
        "[reliability.storage_failover]\nreplication = \"async\"\nlag_ms = -1",
        "reliability.storage_failover.lag_ms",
        3,
    ),
    (
        "[reliability.storage_failover]\nlag = { dist = \"exponential\", mean_ms = 200 }",
        "reliability.storage_failover.lag",
        2,
    ),
    (
        "[reliability.storage_failover]\nreplication = \"async\"\nlag_ms = 50\nlag = { dist = \"exponential\", mean_ms = 200 }",
        "reliability.storage_failover.lag",
        4,
    ),
    (
        "[reliability.storage_failover]\nreplication = \"async\"\nlag = { dist = \"exponential\", mean_ms = -5 }",
        "reliability.storage_failover.lag.mean_ms",
        3,
    ),
    // slo and expectations
    ("[slo]\nlatency_ms_p99_max = 0", "slo.latency_ms_p99_max", 2),
    ("[slo]\nlatency_ms = -5", "slo.latency_ms", 2),
    ("start = \"2029-01-01T06:00\"", "start", 1),
    ("start = \"2029-02-30\"", "start", 1),
    ("timezone = \"Mars/Olympus_Mons\"", "timezone", 1),
    ("[slo]\navailability_min = 2", "slo.availability_min", 2),
    (
        "[[expect]]\navailability_time_min = 0.9",
        "expect[0].availability_time_min",
        2,
    ),
    (
        "mode = \"availability\"\n[[expect]]\nlatency_ms_p99_max = 1",
        "expect[0].latency_ms_p99_max",
        3,
    ),
    ("[[expect]]\nalert_within_ms = 1", "expect[0].alert_within_ms", 2),
    (
        "[[expect]]\nalert_fired = \"InstanceDown\"\nalert_within_ms = -1",
        "expect[0].alert_within_ms",
        3,
    ),
    (
        "[monitoring]\nenabled = false\n[[expect]]\nalert_fired = \"InstanceDown\"",
        "expect[0].alert_fired",
        4,
    ),
    ("[[expect]]\nalert_fired = \"nope\"", "expect[0].alert_fired", 2),
    (
        "[[expect]]\navailability_request_min = 2",
        "expect[0].availability_request_min",
        2,
    ),
    ("[[expect]]\nfailover_ms_max = -1", "expect[0].failover_ms_max", 2),
    (
        "mode = \"availability\"\n[[expect]]\nlb_takeover_ms_max = 1",
        "expect[0].lb_takeover_ms_max",
        3,
    ),
    (
        "[storage]\ncount = 1\n[[expect]]\nlost_writes_ms_max = 1",
        "expect[0].lost_writes_ms_max",
        4,
    ),
    (
        "[storage]\ncount = 1\n[[expect]]\nreplication_lag_ms_max = 1",
        "expect[0].replication_lag_ms_max",
        4,
    ),
    (
        "[[expect]]\nreplication_lag_ms_max = -1",
        "expect[0].replication_lag_ms_max",
        2,
    ),
    (
        "mode = \"availability\"\n[reliability.disk]\nraid1 = false\n[[expect]]\nraid_array_losses_max = 1",
        "expect[0].raid_array_losses_max",
        5,
    ),
    (
        "mode = \"availability\"\n[backup]\nhuman_errors_per_year = 0\n[[expect]]\nrestores_min = 1",
        "expect[0].restores_min",
        5,
    ),
    ("[[expect]]\ndetect_ms_max = 1", "expect[0].detect_ms_max", 2),
    // an imported rule the availability mode does not evaluate (its series, an aggregate)
    (
        "mode = \"availability\"\n[[monitoring.rules]]\nalert = \"Errors\"\nexpr = \"rate(haproxy_backend_http_requests_total[5m]) > 1\"\n[[expect]]\nalert_rule = \"Errors\"",
        "expect[0].alert_rule",
        6,
    ),
    (
        "mode = \"availability\"\n[[monitoring.rules]]\nalert = \"TwoDown\"\nexpr = \"count(up == 0) >= 2\"\n[[expect]]\nalert_fired = \"TwoDown\"",
        "expect[0].alert_fired",
        6,
    ),
    // backup
    ("[backup]\ntime_of_day_h = 25", "backup.time_of_day_h", 2),
    ("[backup]\nbandwidth_mb_per_s = 0", "backup.bandwidth_mb_per_s", 2),
    ("[backup]\ngrowth_gb_per_day = -1", "backup.growth_gb_per_day", 2),
    ("[backup]\nfail_probability = 2", "backup.fail_probability", 2),
    (
        "[backup]\nfail_probability = 0.6\ncorrupt_probability = 0.6",
        "backup.corrupt_probability",
        3,
    ),
    ("[backup.notice]\ndist = \"exponential\"", "backup.notice.mean_ms", 1),
    // monitoring
    (
        "[monitoring]\ndisk_capacity_gb = 1\n[backup]\ndata_gb = 2",
        "monitoring.disk_capacity_gb",
        2,
    ),
    ("[monitoring]\ncores = 0", "monitoring.cores", 2),
    (
        "[[monitoring.rules]]\nalert = \"A\"\nexpr = \"up == 0\"\nfor = \"1e30h\"",
        "monitoring.rules[0].for",
        4,
    ),
    // ... and in a file that extends the park (the array is set whole)
    (
        "extends = \"xpos\"\n[[monitoring.rules]]\nalert = \"A\"\nexpr = \"up == 0\"\nfor = \"1e30h\"",
        "monitoring.rules[0].for",
        5,
    ),
    (
        "[monitoring]\nmemory_base_percent = 200",
        "monitoring.memory_base_percent",
        2,
    ),
    (
        "[monitoring]\ndisk_capacity_gb = 0\n[backup]\nenabled = false\ndata_gb = -1",
        "monitoring.disk_capacity_gb",
        2,
    ),
    // maintenance
    (
        "[maintenance]\nenabled = true\norder = [\"lb2\"]",
        "maintenance.order[0]",
        3,
    ),
    (
        "[[maintenance.window]]\nat = \"1x\"\nkind = \"kernel\"\ntargets = [\"web1\"]",
        "maintenance.window[0].at",
        2,
    ),
    (
        "[[maintenance.window]]\nat = \"8d\"\nkind = \"kernel\"\ntargets = [\"web1\"]",
        "maintenance.window[0].at",
        2,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"kernel\"\ntargets = []",
        "maintenance.window[0].targets",
        4,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"kernel\"\ntargets = [\"web9\"]",
        "maintenance.window[0].targets[0]",
        4,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"storage_switchover\"\ntargets = [\"web1\"]",
        "maintenance.window[0].targets[0]",
        4,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"lb_handover\"\ntargets = [\"lb2\"]",
        "maintenance.window[0].targets[0]",
        4,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"kernel\"\ntargets = [\"web1\", \"web1\"]",
        "maintenance.window[0].targets[1]",
        4,
    ),
    (
        "[[maintenance.window]]\nat = \"1h\"\nkind = \"kernel\"\ntargets = [\"web1\"]\nduration = \"0s\"",
        "maintenance.window[0].duration",
        5,
    ),
    // maintenance off: its values are still checked
    (
        "[maintenance]\nduration_per_server = \"0s\"",
        "maintenance.duration_per_server",
        2,
    ),
    (
        "[maintenance]\nwait_between_servers = \"1x\"",
        "maintenance.wait_between_servers",
        2,
    ),
    ("[maintenance]\norder = [\"web9\"]", "maintenance.order[0]", 2),
    ("[maintenance]\nwindow_start_h = 24", "maintenance.window_start_h", 2),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\nevery = \"0s\"",
        "maintenance.every",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\nevery = \"1x\"",
        "maintenance.every",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\ndrain = \"1x\"",
        "maintenance.drain",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\nwindow_start_h = 24",
        "maintenance.window_start_h",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\norder = [\"web9\"]",
        "maintenance.order[0]",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\norder = [\"web1\", \"web1\"]",
        "maintenance.order[1]",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\nevery = \"1h\"",
        "maintenance.every",
        4,
    ),
    (
        "[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"0s\"\nkind = \"deploy\"",
        "maintenance.cadence[0].every",
        4,
    ),
    (
        "[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"deploy\"\nwindow_start_h = -1",
        "maintenance.cadence[0].window_start_h",
        6,
    ),
    (
        "[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"deploy\"\nduration_per_server = \"0s\"",
        "maintenance.cadence[0].duration_per_server",
        6,
    ),
    (
        "[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"deploy\"\ntargets = [\"store1\"]",
        "maintenance.cadence[0].targets[0]",
        6,
    ),
    (
        "[reliability.lb]\nfails = false\n[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"lb_handover\"",
        "maintenance.cadence[0].kind",
        7,
    ),
    (
        "[maintenance]\nenabled = true\nkind = \"deploy\"\norder = [\"store2\"]",
        "maintenance.order[0]",
        4,
    ),
    (
        "mode = \"availability\"\n[maintenance]\nenabled = true\n[[maintenance.cadence]]\nevery = \"1h\"\nkind = \"kernel\"",
        "maintenance.cadence[0].every",
        5,
    ),
    (
        "[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"deploy\"",
        "maintenance.cadence[0]",
        1,
    ),
    // a standby pair's storage
    (
        "[reliability.storage_failover]\npromotion_fail_probability = 2",
        "reliability.storage_failover.promotion_fail_probability",
        2,
    ),
    ("[storage]\ncolocated = true", "storage.colocated", 2),
    (
        "mode = \"availability\"\n[storage]\ncolocated = true\ncount = 2",
        "storage.colocated",
        3,
    ),
    // the budget
    (
        "[traffic]\nkind = \"poisson\"\nrate_per_s = 1e-9",
        "traffic.rate_per_s",
        3,
    ),
    (
        "[traffic]\nkind = \"poisson\"\nrate_per_s = 1e6",
        "traffic.rate_per_s",
        3,
    ),
    ("[requests]\nstorage_reads = 2000", "requests.storage_reads", 2),
    (
        "[reliability.web.ttf]\ndist = \"exponential\"\nmean_ms = 1",
        "reliability.web.ttf",
        1,
    ),
    (
        "[backup]\nhuman_errors_per_year = 1e9",
        "backup.human_errors_per_year",
        2,
    ),
    (
        "mode = \"availability\"\n[backup]\ndata_gb = 1e12\nbandwidth_mb_per_s = 1e-6",
        "backup.bandwidth_mb_per_s",
        4,
    ),
    // capacity
    (
        "[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 0",
        "capacity[0].web_in_rotation",
        3,
    ),
    (
        "[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 3",
        "capacity[0].web_in_rotation",
        3,
    ),
    (
        "[[capacity]]\nhours = \"22-7h\"\nweb_in_rotation = 2",
        "capacity[0].hours",
        2,
    ),
    (
        "[[capacity]]\nhours = \"07-07\"\nweb_in_rotation = 2",
        "capacity[0].hours",
        2,
    ),
    (
        "[[capacity]]\nhours = \"24-07\"\nweb_in_rotation = 2",
        "capacity[0].hours",
        2,
    ),
    ("[[capacity]]\nhours = []\nweb_in_rotation = 2", "capacity[0].hours", 2),
    ("[[capacity]]\nhours = 22\nweb_in_rotation = 2", "capacity[0].hours", 2),
    (
        "[[capacity]]\nhours = [\"00-07\", \"06-08\"]\nweb_in_rotation = 2",
        "capacity[0].hours[1]",
        2,
    ),
    (
        "[[capacity]]\nhours = \"22-07\"\nweekdays = [\"sat\", \"zon\"]\nweb_in_rotation = 2",
        "capacity[0].weekdays[1]",
        3,
    ),
    (
        "[[capacity]]\nhours = \"22-07\"\nweekdays = [\"sat\", \"sat\"]\nweb_in_rotation = 2",
        "capacity[0].weekdays[1]",
        3,
    ),
    (
        "[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 2\n[[capacity]]\nhours = \"06-08\"\nweekdays = [\"sun\"]\nweb_in_rotation = 1",
        "capacity[1].hours",
        5,
    ),
    (
        "[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 2\nwebs = 1",
        "capacity[0].webs",
        4,
    ),
    (
        "mode = \"availability\"\n[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 2",
        "capacity[0]",
        2,
    ),
    // the request-level latency sample of an availability run
    (
        "mode = \"availability\"\n[backup]\ndata_gb = 257",
        "monitoring.disk_capacity_gb",
        0,
    ),
    // no NaN anywhere
    ("[traffic]\nrate_per_s = nan", "traffic.rate_per_s", 2),
    // the file's syntax and types
    ("[web]\ncount = \"three\"", "web.count", 2),
    ("[web]\ncont = 3", "web.cont", 2),
    ("[balancer]\nalgorithm = \"rr\"", "balancer.algorithm", 2),
    ("[[fault]]\nat = \"1h\"\ntarget = \"web1\"", "fault[0].kind", 1),
    ("[web\ncount = 3", "web", 1),
    ("[web]\ncount = 3\ncount = 4", "web.count", 3),
];

/// Every refusal of `text` as (key, line); a snippet may extend the built-in park.
fn refusals(text: &str) -> Vec<(String, usize)> {
    let loaded = crate::scenario::extends::load_extending(text, "t.toml", std::path::Path::new("."), &[])
        .unwrap_or_else(|| from_str(text, "t.toml", &[]));
    match loaded {
        Ok(_) => Vec::new(),
        Err(e) => e
            .all()
            .iter()
            .map(|e| match e.located() {
                Some(l) => (l.key.clone(), l.line),
                None => (format!("(not located: {e})"), 0),
            })
            .collect(),
    }
}

#[test]
fn every_refusal_names_its_key_and_line() {
    let mut wrong = Vec::new();
    for (snippet, key, line) in REFUSALS {
        let got = refusals(snippet);
        if got != [(key.to_string(), *line)] {
            wrong.push(format!("{snippet:?}\n  want [{key} @ {line}]\n  got  {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        REFUSALS.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_table_has_no_valid_snippet_and_the_base_is_valid() {
    assert!(refusals("").is_empty(), "{:?}", refusals(""));
}

/// Availability mode takes imported rules and an Alertmanager tree (it once refused them:
/// "evaluated in request mode only"); `alert_rule` naming a rule it cannot feed is refused
/// naming the rule, the series it needs and the rules it evaluates.
#[test]
fn availability_mode_takes_imported_alerting_and_refuses_expects_on_rules_it_cannot_feed() {
    let rules = "mode = \"availability\"\n[[monitoring.rules]]\nalert = \"Down\"\nexpr = \"up == 0\"\nfor = \"2m\"\n[[monitoring.rules]]\nalert = \"Errors\"\nexpr = \"rate(haproxy_backend_http_requests_total[5m]) > 1\"\n[monitoring.alertmanager.route]\ngroup_wait = \"10s\"\n";
    for expect in ["", "[[expect]]\nalert_rule = \"Down\"\nalert_recall_min = 0.5\n"] {
        let text = format!("{rules}{expect}");
        assert!(refusals(&text).is_empty(), "{text}: {:?}", refusals(&text));
    }
    let text = format!("{rules}[[expect]]\nalert_rule = \"Errors\"\n");
    let err = from_str(&text, "t.toml", &[]).expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("`Errors` is not evaluated in availability mode")
            && msg.contains("needs haproxy_backend_http_requests_total")
            && msg.contains("the rules it evaluates are Down"),
        "{msg}"
    );
}

#[test]
fn independent_mistakes_are_all_reported() {
    let text = "replications = 0\n[web]\nworkers = 0\n[balancer]\nretries = 101\n[[fault]]\nat = \"1h\"\ntarget = \"nope\"\nkind = \"crash\"\n[[fault]]\nat = \"1x\"\ntarget = \"web1\"\nkind = \"crash\"\n[backup]\ntime_of_day_h = 25\n";
    let got: Vec<String> = refusals(text).into_iter().map(|(k, l)| format!("{k}@{l}")).collect();
    assert_eq!(
        got,
        [
            "replications@1",
            "web.workers@3",
            "balancer.retries@5",
            "fault[0].target@8",
            "fault[1].at@11",
            "backup.time_of_day_h@15"
        ]
    );
    // A refused section is reported once: the sections that need `web.count` skip their checks.
    let got = refusals("[web]\ncount = 0\n[balancer]\nweights = [1, 1]\n");
    assert_eq!(got, [("web.count".to_string(), 2)]);
}

#[test]
fn an_error_made_by_an_override_points_at_it() {
    let e = from_str("warmup = \"1h\"\n", "t.toml", &["horizon=\"30m\"".into()]).unwrap_err();
    match e {
        ScenarioError::Override { assignment, message } => {
            assert_eq!(assignment, "horizon=\"30m\"");
            assert!(message.contains("warmup"), "{message}");
        }
        other => panic!("{other}"),
    }
    // A type error names only the override that caused it, in user words.
    let e = from_str(
        "",
        "t.toml",
        &["seed=2".into(), "web.count=\"three\"".into(), "replications=3".into()],
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("--set web.count=\"three\": "), "{e}");
    assert!(e.contains("must be a whole number") && e.contains("\"three\""), "{e}");
    assert!(!e.contains("seed=2") && !e.contains("replications=3"), "{e}");
}

/// Type mistakes a person makes, each refused in the file's words.
const TYPE_MISTAKES: &[&str] = &[
    "[web]\ncount = \"three\"",
    "[web]\ncount = -1",
    "[web]\ncount = 2.5",
    "replications = true",
    "seed = -3",
    "horizon = 7",
    "[traffic]\nclients = \"many\"",
    "[traffic]\nrate_per_s = \"fast\"",
    "[traffic]\nhourly_weights = 3",
    "[traffic]\nkind = 3",
    "[balancer]\npair = \"yes\"",
    "[balancer]\nweights = [\"a\"]",
    "[balancer]\nids = [-1, 2, 3]",
    "[balancer.check]\nobserve = \"layer7\"",
    "[balancer.check.servers.web1]\ninter_ms = \"5s\"",
    "[balancer.check.servers.web1]\nenabled = \"no\"",
    "[balancer.check.servers]\nweb1 = 3",
    "[web.service]\ndist = \"normal\"\nmean_ms = 1",
    "[web.service]\nmean_ms = 1",
    "web = 3",
    "[[fault]]\nat = 1\ntarget = \"web1\"\nkind = \"crash\"",
    "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"explode\"",
    "fault = 3",
    "[[expect]]\nsplit_brain = \"no\"",
    "[reliability]\ndetection = 1",
    "[maintenance]\norder = \"web1\"",
    "[[maintenance.window]]\nat = \"1h\"\nkind = \"reboot\"\ntargets = [\"web1\"]",
];

#[test]
fn messages_are_in_the_users_words_not_rusts() {
    const JARGON: &[&str] = &[
        "u8",
        "u16",
        "u32",
        "u64",
        "i32",
        "i64",
        "f64",
        "usize",
        "invalid type",
        "invalid value",
        "struct ",
        "sequence",
        "variant",
        "Option<",
        "Some(",
        "None",
        "a map",
        "Clients",
        "Balancer",
        "Backup",
        "Web(",
        "Storage(",
    ];
    let corpus = REFUSALS.iter().map(|r| r.0).chain(TYPE_MISTAKES.iter().copied());
    let mut wrong = Vec::new();
    let mut count = 0;
    for snippet in corpus {
        let Err(e) = from_str(snippet, "t.toml", &[]) else {
            wrong.push(format!("{snippet:?}: accepted"));
            continue;
        };
        for one in e.all() {
            count += 1;
            let text = one.to_string();
            let message = one.located().map_or(text.clone(), |l| l.message.clone());
            if let Some(j) = JARGON.iter().find(|j| message.contains(*j)) {
                wrong.push(format!("{snippet:?}: `{j}` in {text}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {count} messages:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
