using System.Text;

namespace Ci.Cli.Terminal;

/// <summary>ANSI colours the client uses.</summary>
internal enum AnsiColor
{
    Red = 31,
    Green = 32,
    Yellow = 33,
    Cyan = 36,
    Grey = 90,
}
