using Ci.Cli;

return await CiApp.RunAsync(args, CliServices.FromProcess());
