namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>HTTP server settings (configuration section <c>Bamboo:Server</c>).</summary>
public sealed class BambooServerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Bamboo:Server";

    /// <summary>Deadline of an external worker's reservation that names none (<c>deadlineMs</c>). Default 5 minutes.</summary>
    public TimeSpan ReservationDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Interval of SSE keep-alive comments. Default 15 seconds.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest accepted request body. Default 1 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long <c>/readyz</c> waits for the journal to answer its probe before it reports it. Default 2 seconds.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default duration of the <c>sleep</c> demo agent when the request names none.</summary>
    public TimeSpan DefaultSleep { get; set; } = TimeSpan.FromSeconds(1);
}
