using Akka.Actor;
using Bamboo.Actors.Configuration;

namespace Bamboo.Actors.Client;

/// <summary>Settings of <see cref="RunnerClient"/> (HOCON <c>bamboo.client</c>).</summary>
public sealed record ClientSettings
{
    /// <summary>How long to wait for a runner's answer. Default 10 seconds.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events buffered per subscription before the consumer counts as slow. Default 1,024.</summary>
    public int SubscriptionBuffer { get; init; } = 1024;

    /// <summary>Reads <c>bamboo.client</c> from <paramref name="system"/>'s configuration (embedded defaults as fallback).</summary>
    public static ClientSettings Create(ActorSystem system)
    {
        system.Settings.InjectTopLevelFallback(BambooConfig.Default);
        var config = system.Settings.Config.GetConfig("bamboo.client");
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
