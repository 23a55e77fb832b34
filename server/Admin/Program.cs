using ConsoleAppFramework;

var app = ConsoleApp.Create();
app.Add("version", () => Console.WriteLine("ci-admin"));
app.Run(args);
