namespace Bamboo.Actors.TestSupport;

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

    /// <summary>Why a PostgreSQL spec cannot run here (it should report itself skipped), or null when it can.</summary>
    /// <exception cref="InvalidOperationException">In CI without a server: the spec must fail, not skip.</exception>
    public static string? MissingReason()
    {
        if (ConnectionString is not null) return null;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{Variable} is not set: CI must provide a PostgreSQL server for the PostgreSQL specs.");
        return $"{Variable} is not set (no PostgreSQL server)";
    }
}
