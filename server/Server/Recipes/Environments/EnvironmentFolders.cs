using System.Globalization;
using Ci.Server.Isolation;

namespace Ci.Server.Recipes.Environments;

/// <summary>What the <see cref="EnvironmentCache"/> does to its folders on disk: seal an entry, delete whatever its modes, read its size.</summary>
internal static class EnvironmentFolders
{
    /// <summary>
    /// Makes a finished entry read-only for jobs: owned by the server (when builds ran as another user), no write,
    /// set-id or sticky bits anywhere, readable by every job's user. The build ran the project's code, which may have
    /// planted links: nothing here follows one (<see cref="NoFollowTree"/>). Returns the entry's size in bytes.
    /// </summary>
    /// <param name="builtByAnotherUser">Whether the build ran as a user other than the server's (then the entry goes to root).</param>
    public static long Seal(string folder, bool builtByAnotherUser)
    {
        if (builtByAnotherUser) NoFollowTree.SetOwner(folder, 0, 0);
        NoFollowTree.Seal(folder, readableByAll: builtByAnotherUser);
        return NoFollowTree.Size(folder);
    }

    /// <summary>Deletes a folder (or file) whatever its modes, without following a link in it; never throws.</summary>
    public static void DeleteTree(string path)
    {
        try
        {
            NoFollowTree.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next Open, which deletes whatever is not an entry.
        }
    }

    public static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static long? ReadSize(string readyFile)
    {
        try
        {
            return long.TryParse(File.ReadAllText(readyFile), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
