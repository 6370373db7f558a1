//! The stable diagnostic codes. A code is never reused or renumbered; retired codes stay here.

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $summary:literal;)*) => {
        /// A stable diagnostic code (`E0001`...); its page is `book/src/errors/<code>.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        /// Every code, in numeric order.
        pub const ALL_CODES: &[Code] = &[$(Code::$variant),*];

        impl Code {
            /// The code as written in output and file names (`E0001`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }
            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }
            /// Looks a code up by its text, case-insensitively.
            pub fn parse(text: &str) -> Option<Code> {
                let up = text.trim().to_ascii_uppercase();
                ALL_CODES.iter().copied().find(|c| c.as_str() == up)
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "the source does not parse";
    UnknownName = "E0002", Error, "a name is used that is not declared";
    Duplicate = "E0003", Error, "a name is declared twice";
    TypeMismatch = "E0004", Error, "a value has the wrong type";
    MissingField = "E0005", Error, "a required field or argument is missing";
    UnknownField = "E0006", Error, "a field or argument that does not exist is set";
    UnknownKeyword = "E0007", Error, "a declaration kind that is not allowed here";
    DependencyCycle = "E0008", Error, "jobs depend on each other in a cycle";
    UnknownResult = "E0009", Error, "a result is read that the job does not produce";
    InvalidK8sName = "E0010", Error, "a name is not a valid Kubernetes name";
    InvalidJobId = "E0011", Error, "a job name is not a valid GitHub job id";
    InvalidCron = "E0012", Error, "a schedule is not a valid cron expression";
    InvalidDuration = "E0013", Error, "a duration is out of range for where it is used";
    CanaryWeights = "E0014", Error, "canary weights must increase and stay at most 100%";
    PromotionCycle = "E0015", Error, "environments promote from each other in a cycle";
    PromotionRoot = "E0016", Error, "a promotion chain starts at an environment that is not auto-synced";
    Unsupported = "E0017", Error, "a feature the selected target cannot express";
    SecretLeak = "E0018", Error, "a secret flows into a place that is not secret";
    UntrustedInScript = "E0019", Error, "untrusted text is interpolated into a script";
    UnpinnedAction = "E0020", Error, "an action is not pinned to a full commit SHA";
    WildcardDestination = "E0021", Error, "a project allows any destination without saying so";
    UndeclaredSecret = "E0022", Error, "a secret is used that the program does not declare";
    UnknownModule = "E0023", Error, "a module that does not exist is imported";
    TooDeep = "E0024", Error, "the source nests deeper than the compiler allows";
    InvalidValue = "E0025", Error, "a value is outside the range its field accepts";
    GateBypassed = "E0026", Error, "a job deploys to a gated environment without its gate";
    ImageMismatch = "E0027", Error, "a pipeline builds an image other than the one that is deployed";
    UndeployedEnvironment = "E0028", Error, "a pipeline promotes to an environment that nothing deploys";
    ArgumentCount = "E0029", Error, "a call has too many positional arguments";
    ProjectMissing = "E0030", Error, "the program has no project, or more than one";
    ResultUnavailable = "E0031", Error, "a result is read where it cannot exist yet";
    NotConstant = "E0032", Error, "a value known only at run time is used where a constant is needed";
    NotReusable = "E0033", Error, "a job calls a pipeline that is not a reusable workflow";
    CallCycle = "E0034", Error, "pipelines call each other in a cycle";
    CallJobField = "E0035", Error, "a job that calls a pipeline sets what only a job with steps can have";
    MatrixServiceField = "E0036", Error, "a matrix over services reads a service attribute that differs between them";
    WorkloadNotDelivered = "E0037", Error, "a scheduled workload runs where its service is not delivered";
    ScheduleNeverFires = "E0038", Error, "a schedule names only dates that do not exist";
    TektonParamClash = "E0039", Error, "a name would become a Tekton parameter name that is taken";
    TaskCycle = "E0040", Error, "tasks inline each other's steps in a cycle";
    Unused = "W0001", Warning, "a declaration is never used";
    Unreachable = "W0002", Warning, "a job can never run";
    Internal = "E9999", Error, "the compiler found a bug in itself";
}
