//! The `workload` and `capacity` blocks of a scenario file, as the user writes them.

use super::*;

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsFile {
    /// writer (default): the writer checks the balance inside the commit; local-read: the client
    /// checks a balance read from its local replica, then sends a blind debit.
    pub debit_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryFile {
    /// writer (default): the writer checks the stock inside the commit; local-read: the client
    /// checks stock read from its local replica, then sends a blind reservation.
    pub reserve_check: DebitCheckFile,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowFile {
    /// writer (default): the writer checks that the transition is legal inside the commit;
    /// local-read: the client checks the state read from its local replica, then writes blindly.
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
    /// Operations per second from all client regions together (split evenly between them), above 0
    /// and at most 10000000. Default 200.
    pub rate_per_s: f64,
    /// Share of operations per kind ("register.read", "account.transfer", ...) or per label
    /// (see labels); sums to 1.
    pub mix: BTreeMap<String, f64>,
    /// Your own names for operation kinds, shown in every output in place of the kind's:
    /// {"account.history": "register.read"}. The mix, read_classes and
    /// design.capacity.service_by_op may then name the operation by its label. One label per
    /// kind.
    pub labels: BTreeMap<String, String>,
    /// Regions whose clients send traffic; all regions when absent.
    pub clients: Option<Vec<String>>,
    /// Registers that register.* operations act on, 1 to 1000000. Default 64.
    pub registers: u32,
    /// Accounts that account.* operations act on, 1 to 1000000 (account.transfer needs 2). Default
    /// 32.
    pub accounts: u32,
    /// Inventory items that inventory.* operations act on, 1 to 1000000. Default 16.
    pub items: u32,
    /// Permissions that permission.* operations act on, 1 to 1000000. Default 32.
    pub permissions: u32,
    /// Workflows that workflow.* operations act on, 1 to 1000000. Default 32.
    pub workflows: u32,
    /// Append-only lists for "list.append" and "list.read" (each append adds a unique
    /// element; reads return the whole list), checked by append_integrity.
    pub lists: u32,
    /// Elements one list may hold; an append to a full list is declined.
    pub list_length_max: u32,
    /// Every account's balance at the start, 0 to 1000000000000. Default 1000.
    pub initial_balance: i64,
    /// The largest amount one credit, debit or transfer moves (each draws from 1 to it), 1 to
    /// 1000000000000. Default 100.
    pub amount_max: i64,
    /// Units of each inventory item; reservations may never exceed it.
    pub stock: i64,
    /// The most units one reservation or release takes (each draws from 1 to it), 1 to
    /// 1000000000000. Default 5.
    pub qty_max: i64,
    /// Client sessions per client region (read-your-writes, monotonic reads).
    pub sessions: u32,
    /// Customers the operations belong to (for cells, shuffle shards, blast radius).
    pub customers: u32,
    /// How long a client waits for an attempt's answer before it gives up on it (and retries, if
    /// attempts remain), in milliseconds, above 0. Default 1000.
    pub timeout_ms: f64,
    /// How clients retry an attempt that failed retryably or timed out: attempts, backoff, jitter
    /// and an optional retry budget.
    pub retry: RetryFile,
    /// Freshness class per read kind (or its label); strong when absent.
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
            labels: BTreeMap::new(),
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
    /// Attempts per operation, the first included, 1 to 100 (1: no retries). Default 3.
    pub attempts: u32,
    /// The wait before the second attempt, in milliseconds, 0 or more; it doubles for each further
    /// attempt up to backoff_max_ms, then jitter applies. Default 50.
    pub backoff_ms: f64,
    /// The longest wait between attempts, in milliseconds, 0 or more. Default 2000.
    pub backoff_max_ms: f64,
    /// How the wait is randomized: none (default), full (0 to the wait), equal (half the wait plus
    /// up to the other half) or decorrelated (between backoff_ms and three times the previous wait,
    /// at most backoff_max_ms).
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
    /// Retry tokens each success earns, above 0 and at most 1 (0.1: one retry per ten successes).
    pub ratio: f64,
    /// The most retry tokens a client region can save up, 1 to 1000000. Default 10.
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
    /// Cells per region, each with its own servers and queue, 1 to 1000. Default 1.
    pub cells: u32,
    /// Servers per cell, each working on one request at a time, 1 to 100000. Default 16.
    pub servers: u32,
    /// Requests a cell's FIFO queue holds at most, 1 to 10000000; a request arriving at a full
    /// queue is refused. Default 1000.
    pub queue_max: u32,
    /// Service time of every operation, unless `service_by_op` names it.
    pub service: ServiceFile,
    /// Service time per operation ("account.transfer", ...), in place of service for the operations
    /// it names. Default none.
    pub service_by_op: BTreeMap<String, ServiceFile>,
    /// Servers drop work whose client has already given up.
    pub deadline_propagation: bool,
    /// How customers map to cells: one shared pool, a fixed cell each, or a shuffle
    /// shard of `shard_size` cells each (the request goes to the least busy).
    pub isolation: IsolationFile,
    /// isolation shuffle-shard: cells in each customer's shard, 1 to cells. Default 2.
    pub shard_size: u32,
    /// How long a server crashed by a poison request takes to restart.
    pub restart_ms: f64,
    /// Load shedding: refuse new work when a cell's oldest queued request has waited
    /// longer than this.
    pub shed_after_ms: Option<f64>,
    /// Requests a region admits per second (a token bucket one second deep).
    pub rate_limit_per_s: Option<f64>,
}

/// The datastore of every region as a server pool: connections that each handle one request
/// at a time, and a queue in front of them.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseFile {
    /// Requests one region's store handles at once (its connections or worker processes), 1 to
    /// 100000. Default 16.
    pub servers: u32,
    /// Requests waiting for a server, at most, 1 to 10000000; a request arriving at a full queue
    /// is refused as overloaded. Default 1000.
    pub queue_max: u32,
    /// How long the store takes for one request, unless `service_by_op` names its operation.
    pub service: ServiceFile,
    /// Service time per operation ("account.transfer", or its label), in place of service.
    pub service_by_op: BTreeMap<String, ServiceFile>,
}

impl Default for DatabaseFile {
    fn default() -> Self {
        DatabaseFile {
            servers: 16,
            queue_max: 1_000,
            service: ServiceFile { dist: DistFile::Exponential, mean_ms: 1.0, sigma: None },
            service_by_op: BTreeMap::new(),
        }
    }
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
    /// The distribution service times are drawn from: constant, exponential or lognormal (shape
    /// sigma).
    pub dist: DistFile,
    /// The mean service time, in milliseconds, above 0.
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
    /// strong (served by the writer), bounded (at most bound_ms stale), session (read-your-writes
    /// and monotonic reads within a client session) or eventual (the nearest region, however
    /// stale).
    pub class: ReadClassKindFile,
    /// Class bounded only, and required there: how stale a read may be, in milliseconds, above 0.
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
