//! The `workload` and `capacity` blocks of a scenario file, as the user writes them.

use super::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsFile {
    pub debit_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryFile {
    pub reserve_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowFile {
    pub transition_check: DebitCheckFile,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DebitCheckFile {
    /// The writer checks the balance inside the commit.
    #[default]
    Writer,
    /// The client checks a balance read from its local replica, then sends a blind debit.
    LocalRead,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadFile {
    pub rate_per_s: f64,
    /// Share of operations per kind ("register.read", "account.transfer", ...); sums to 1.
    pub mix: BTreeMap<String, f64>,
    /// Regions whose clients send traffic; all regions when absent.
    pub clients: Option<Vec<String>>,
    pub registers: u32,
    pub accounts: u32,
    pub items: u32,
    pub permissions: u32,
    pub workflows: u32,
    /// Append-only lists for "list.append" and "list.read" (each append adds a unique
    /// element; reads return the whole list), checked by append_integrity.
    pub lists: u32,
    /// Elements one list may hold; an append to a full list is declined.
    pub list_length_max: u32,
    pub initial_balance: i64,
    pub amount_max: i64,
    /// Units of each inventory item; reservations may never exceed it.
    pub stock: i64,
    pub qty_max: i64,
    /// Client sessions per client region (read-your-writes, monotonic reads).
    pub sessions: u32,
    /// Customers the operations belong to (for cells, shuffle shards, blast radius).
    pub customers: u32,
    pub timeout_ms: f64,
    pub retry: RetryFile,
    /// Freshness class per read kind; strong when absent.
    pub read_classes: BTreeMap<String, ReadClassFile>,
}

impl Default for WorkloadFile {
    fn default() -> Self {
        WorkloadFile {
            rate_per_s: 200.0,
            mix: BTreeMap::from([
                ("register.read".to_string(), 0.5),
                ("register.write".to_string(), 0.3),
                ("register.cas".to_string(), 0.2),
            ]),
            clients: None,
            registers: 64,
            accounts: 32,
            items: 16,
            permissions: 32,
            workflows: 32,
            lists: 16,
            list_length_max: 256,
            initial_balance: 1_000,
            amount_max: 100,
            stock: 100,
            qty_max: 5,
            sessions: 64,
            customers: 100,
            timeout_ms: 1_000.0,
            retry: RetryFile::default(),
            read_classes: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetryFile {
    pub attempts: u32,
    pub backoff_ms: f64,
    pub backoff_max_ms: f64,
    pub jitter: JitterFile,
    /// A token bucket per client region: each success earns `ratio` of a retry, up to
    /// `burst` saved; a retry without a whole token is not made.
    pub budget: Option<BudgetFile>,
}

impl Default for RetryFile {
    fn default() -> Self {
        RetryFile {
            attempts: 3,
            backoff_ms: 50.0,
            backoff_max_ms: 2_000.0,
            jitter: JitterFile::None,
            budget: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JitterFile {
    None,
    Full,
    Equal,
    Decorrelated,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetFile {
    pub ratio: f64,
    #[serde(default = "ten")]
    pub burst: f64,
}

fn ten() -> f64 {
    10.0
}

/// The application tier of every region: cells of servers in front of the datastore.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityFile {
    pub cells: u32,
    pub servers: u32,
    pub queue_max: u32,
    /// Service time of every operation, unless `service_by_op` names it.
    pub service: ServiceFile,
    pub service_by_op: BTreeMap<String, ServiceFile>,
    /// Servers drop work whose client has already given up.
    pub deadline_propagation: bool,
    /// How customers map to cells: one shared pool, a fixed cell each, or a shuffle
    /// shard of `shard_size` cells each (the request goes to the least busy).
    pub isolation: IsolationFile,
    pub shard_size: u32,
    /// How long a server crashed by a poison request takes to restart.
    pub restart_ms: f64,
    /// Load shedding: refuse new work when a cell's oldest queued request has waited
    /// longer than this.
    pub shed_after_ms: Option<f64>,
    /// Requests a region admits per second (a token bucket one second deep).
    pub rate_limit_per_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IsolationFile {
    Shared,
    Cells,
    ShuffleShard,
}

impl Default for CapacityFile {
    fn default() -> Self {
        CapacityFile {
            cells: 1,
            servers: 16,
            queue_max: 1_000,
            service: ServiceFile { dist: DistFile::Exponential, mean_ms: 2.0, sigma: None },
            service_by_op: BTreeMap::new(),
            deadline_propagation: false,
            isolation: IsolationFile::Cells,
            shard_size: 2,
            restart_ms: 10_000.0,
            shed_after_ms: None,
            rate_limit_per_s: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub dist: DistFile,
    pub mean_ms: f64,
    /// Lognormal shape (the log's standard deviation).
    pub sigma: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DistFile {
    Constant,
    Exponential,
    Lognormal,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadClassFile {
    pub class: ReadClassKindFile,
    pub bound_ms: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReadClassKindFile {
    Strong,
    Bounded,
    Session,
    Eventual,
}
