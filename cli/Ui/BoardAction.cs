using Ci.Core.Protocol;

namespace Ci.Cli.Ui;

/// <summary>What <see cref="JobBoard.HandleKey"/> asks the session to do besides redrawing.</summary>
internal enum BoardAction
{
    None,
    Quit,
    OpenLog,
    CloseLog,
    Cancel,
}
