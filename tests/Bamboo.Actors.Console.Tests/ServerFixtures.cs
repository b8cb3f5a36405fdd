using Bamboo.Actors.Server.Tests;

namespace Bamboo.Actors.Console.Tests;

/// <summary>A server that wants an API key.</summary>
public sealed class KeyServerFixture : ServerFixture
{
    public const string Key = "console-spec-key";

    protected override string[] Settings => [$"--Bamboo:ApiKey={Key}"];
}

/// <summary>A server that retains only a few events per session, so a late reader meets a replay gap.</summary>
public sealed class ShortRetentionServerFixture : ServerFixture
{
    public const int Retention = 5;

    protected override string[] Settings => [$"--Bamboo:EventRetention={Retention}"];
}
