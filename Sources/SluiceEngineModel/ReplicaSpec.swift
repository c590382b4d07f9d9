public import SluiceCore

/// What one simulated replica runs.
public struct ReplicaSpec: Sendable {
    /// The deployment (model, GPU, TP, engine limits).
    public var deployment: Deployment
    /// The scheduler's registered name.
    public var scheduler: String
    /// The step-time model; `nil` builds a default-parameter roofline for the deployment.
    public var stepModel: (any StepTimeModel)?
    /// Overrides of the scheduler's parameters.
    public var schedulerOptions: SchedulerOptions
    /// The pool the replica belongs to (`nil`: its deployment's label); an autoscaler sizes each pool.
    public var pool: String?
    /// How long the replica takes to start from cold.
    public var coldStart = ColdStartModel()
    /// Whether it is warm at time 0 (with an autoscaler; without one every replica is warm throughout).
    public var initiallyWarm = true
    /// Spot capacity (`nil`: on-demand).
    public var spot: SpotTerms?
    /// What the step-time model is and which calibration it uses (reported per replica in every summary).
    public var stepModelProvenance = StepModelProvenance.uncalibratedRoofline

    /// Creates a replica spec.
    public init(deployment: Deployment, scheduler: String, stepModel: (any StepTimeModel)? = nil, schedulerOptions: SchedulerOptions = SchedulerOptions()) {
        self.deployment = deployment
        self.scheduler = scheduler
        self.stepModel = stepModel
        self.schedulerOptions = schedulerOptions
    }
}
