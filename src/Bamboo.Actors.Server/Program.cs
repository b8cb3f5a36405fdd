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
return 0;
