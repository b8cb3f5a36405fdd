namespace Bamboo.Actors.Chaos.History;

/// <summary>What a request of the workload asks the server.</summary>
public enum RequestKind
{
    /// <summary><c>POST /sessions/{id}/reservations</c>: an external worker reserves a run.</summary>
    Reserve,

    /// <summary><c>POST /sessions/{id}/runs</c>: a managed run of a demo agent.</summary>
    StartRun,

    /// <summary><c>POST /sessions/{id}/runs/{runId}/events</c>: a worker's event (its heartbeat).</summary>
    PublishEvent,

    /// <summary><c>POST /sessions/{id}/runs/{runId}/finalize</c>.</summary>
    Finalize,

    /// <summary><c>POST /sessions/{id}/cancel</c>, for the active run or a given one.</summary>
    Cancel,

    /// <summary><c>GET /sessions/{id}</c>: the session's snapshot.</summary>
    ReadSnapshot,
}
