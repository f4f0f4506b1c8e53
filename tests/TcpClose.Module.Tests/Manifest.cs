using System.Text.RegularExpressions;

namespace TcpClose.Module.Tests;

/// <summary>
/// TcpClose.psd1 read as text: the keys the tests need, without a PowerShell parser. Whole-line
/// comments are dropped first; values are single-quoted strings or @( ... ) lists of them.
/// </summary>
internal sealed class Manifest
{
    private readonly string _text;

    private Manifest(string text) => _text = text;

    public static Manifest Load() => new(string.Join("\n",
        File.ReadAllLines(ModuleFiles.Manifest).Where(l => !l.TrimStart().StartsWith('#'))));

    /// <summary>Null when the key is absent; the quoted strings of its list otherwise (empty for @()).</summary>
    public IReadOnlyList<string>? List(string key)
    {
        var match = Regex.Match(_text, $@"(?m)^\s*{key}\s*=\s*@\(([^)]*)\)");
        return match.Success
            ? Regex.Matches(match.Groups[1].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToList()
            : null;
    }

    /// <summary>The single-quoted value of a key, or null.</summary>
    public string? Value(string key)
    {
        var match = Regex.Match(_text, $@"(?m)^\s*{key}\s*=\s*'([^']*)'");
        return match.Success ? match.Groups[1].Value : null;
    }
}
