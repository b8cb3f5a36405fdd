namespace Bamboo.Actors.Tests.Persistence;

/// <summary>
/// The PostgreSQL server of the PostgreSQL specs: <c>BAMBOO_TEST_POSTGRES</c> holds its connection string. Without it a
/// spec reports itself skipped — never passed — except in CI (<c>CI=true</c>), where <c>.ci/run</c> must have provided
/// the server and its absence fails the spec.
/// </summary>
public static class TestPostgres
{
    /// <summary>The variable that names the server.</summary>
    public const string Variable = "BAMBOO_TEST_POSTGRES";

    /// <summary>The connection string, or null when no server was provided.</summary>
    public static string? ConnectionString { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Skips the calling spec when there is no server (fails it in CI); returns the connection string.</summary>
    public static string Require()
    {
        if (ConnectionString is { } connectionString) return connectionString;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{Variable} is not set: CI must provide a PostgreSQL server for the PostgreSQL specs.");
        throw new SkipException($"{Variable} is not set (no PostgreSQL server)");
    }
}
