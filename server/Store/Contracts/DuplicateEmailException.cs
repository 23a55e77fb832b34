namespace Ci.Store;

/// <summary>Thrown when a user with the same email already exists.</summary>
public sealed class DuplicateEmailException(string email) : Exception($"User with email {email} already exists")
{
    /// <summary>The email that is taken.</summary>
    public string Email { get; } = email;
}
