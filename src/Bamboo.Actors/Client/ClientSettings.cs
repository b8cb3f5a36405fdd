using Akka.Actor;
using Bamboo.Actors.Configuration;

namespace Bamboo.Actors.Client;

/// <summary>Settings of <see cref="RunnerClient"/>: HOCON <c>bamboo.client</c>, defaults in <c>hocon/bamboo.conf</c>.</summary>
public sealed record ClientSettings
{
    private ClientSettings()
    {
    }

    /// <summary>The defaults of <c>hocon/bamboo.conf</c>.</summary>
    public static ClientSettings Default { get; } = FromConfig(null);

    /// <summary>How long to wait for a runner's answer.</summary>
    public TimeSpan AskTimeout { get; init; }

    /// <summary>Events buffered per subscription before the consumer counts as slow.</summary>
    public int SubscriptionBuffer { get; init; }

    /// <summary>Reads <c>bamboo.client</c> from <paramref name="system"/>'s configuration, over the embedded defaults.</summary>
    public static ClientSettings Create(ActorSystem system) => FromConfig(system.Settings.Config.GetConfig("bamboo.client"));

    /// <summary>Reads a <c>bamboo.client</c> section (null: the embedded defaults alone).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static ClientSettings FromConfig(Akka.Configuration.Config? section)
    {
        var config = (section ?? Akka.Configuration.Config.Empty).WithFallback(BambooConfig.Default.GetConfig("bamboo.client"));
        var settings = new ClientSettings
        {
            AskTimeout = config.GetTimeSpan("ask-timeout"),
            SubscriptionBuffer = config.GetInt("subscription-buffer"),
        };
        if (settings.AskTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AskTimeout), settings.AskTimeout, "must be positive");
        if (settings.SubscriptionBuffer < 1) throw new ArgumentOutOfRangeException(nameof(SubscriptionBuffer), settings.SubscriptionBuffer, "must be at least 1");
        return settings;
    }
}
