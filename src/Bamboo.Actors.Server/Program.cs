using Bamboo.Actors.Server;

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
await app.RunAsync();
return 0;
