using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Ci.Core.Recipes;

/// <summary>Source-generated TOML metadata: the untyped model only, so reading needs no reflection (AOT-safe).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class ProjectTomlContext : TomlSerializerContext;
