using Bamboo.Actors.Server;
using Bamboo.Actors.Server.Infrastructure;

WebApplication app;
try
{
    app = BambooServer.Create(args);
}
catch (InvalidOperationException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}
var lifecycle = app.Services.GetRequiredService<ServerLifecycle>();
try
{
    await app.RunAsync();
}
catch (UnprotectedListenException exception)
{
    // Nothing was served: the server stopped before answering any request.
    Console.Error.WriteLine(exception.Message);
    return 1;
}
// A node the cluster downed, or that could not join, stopped on its own: a non-zero code tells its supervisor (systemd,
// Kubernetes) to start it again. A requested stop (SIGTERM, Ctrl+C) exits with 0.
if (lifecycle.ExitCode != 0) Console.Error.WriteLine($"Exiting with code {lifecycle.ExitCode}: {lifecycle.ShutdownReason?.GetType().Name}");
return lifecycle.ExitCode;
