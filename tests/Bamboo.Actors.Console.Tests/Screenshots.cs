namespace Bamboo.Actors.Console.Tests;

/// <summary>
/// Where the browser specs put their screenshots: the test output folder, or the README's pictures in
/// <c>docs/console/</c> when <c>BAMBOO_UPDATE_SCREENSHOTS=1</c> (so an ordinary test run never changes tracked files).
/// </summary>
public static class Screenshots
{
    public const string UpdateVariable = "BAMBOO_UPDATE_SCREENSHOTS";

    public static string PathOf(string name)
    {
        var folder = Environment.GetEnvironmentVariable(UpdateVariable) == "1"
            ? Path.Combine(RepositoryRoot(), "docs", "console")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name + ".png");
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Bamboo.Actors.sln"))) return folder.FullName;
        }
        throw new InvalidOperationException("Bamboo.Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
