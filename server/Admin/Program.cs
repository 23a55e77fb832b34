using System.Text;
using Ci.Admin;

// ci-admin: users and API keys, straight on the server's store (see AdminApp).

if (OperatingSystem.IsWindows())
{
    Console.OutputEncoding = Encoding.UTF8; // for ✓ and ⚠
}

return await AdminApp.RunAsync(args, AdminConsole.FromProcess());
