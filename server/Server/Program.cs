var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();
app.MapGet("/health", () => TypedResults.Ok(new Ci.Core.Protocol.HealthResponse("ok")));
app.Run();

public partial class Program;
