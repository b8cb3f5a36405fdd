namespace Bamboo.Actors.Chaos.Processes;

/// <summary>The server built by the same build as this harness (the project references it, so it is built first).</summary>
public static class ServerDll
{
    private static readonly Lazy<string> Found = new(Find);

    public static string Path => Found.Value;

    private static string Find()
    {
        var separator = System.IO.Path.DirectorySeparatorChar;
        var configuration = AppContext.BaseDirectory.Contains($"{separator}Release{separator}") ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "src", "Bamboo.Actors.Server", "bin", configuration, "net10.0", "Bamboo.Actors.Server.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("Bamboo.Actors.Server.dll not found; build tests/Bamboo.Actors.Chaos first");
    }
}
