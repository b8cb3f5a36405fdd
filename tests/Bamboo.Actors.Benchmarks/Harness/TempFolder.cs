namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>A fresh folder under the system's temp folder, deleted (with its databases) on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates <c>{temp}/bamboo-bench/{random}</c>.</summary>
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bamboo-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException exception)
        {
            Report.Progress($"could not delete {Path}: {exception.Message}");
        }
    }
}
