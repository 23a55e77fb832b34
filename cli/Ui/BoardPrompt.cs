using Ci.Core.Protocol;

namespace Ci.Cli.Ui;

/// <summary>What the board shows in its bottom line: key help, a question, the filter being typed, or a message.</summary>
internal enum BoardPrompt
{
    None,
    ConfirmCancel,
    Filter,
}
