using System.Text.RegularExpressions;

namespace TcpClose.HelpGen;

/// <summary>A page that does not follow the platyPS layout; the message names the file and line.</summary>
public sealed class HelpFormatException(string file, int line, string message)
    : Exception($"{file}({line}): {message}")
{
    public string File { get; } = file;

    public int Line { get; } = line;
}

public sealed record SyntaxSet(string Name, int Line, string Text);

public sealed record Example(string Title, string Code, List<string> Remarks);

public sealed record TypeEntry(string Name, List<string> Description);

public sealed record Link(string Text, string Uri);

public sealed record Parameter(
    string Name, int Line, List<string> Description, string Type, string[] Sets, string[] Aliases,
    string[] AcceptedValues, bool Required, string Position, string DefaultValue, string PipelineInput, bool Globbing)
{
    public bool IsSwitch => Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter" || Type.Equals("switch", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One cmdlet page of docs/en-US, as platyPS 0.14 (schema 2.0.0) lays it out.</summary>
public sealed class CommandHelp
{
    public required string Name { get; init; }
    public required string HelpFile { get; init; }
    public List<string> Synopsis { get; } = [];
    public List<string> Description { get; } = [];
    public List<SyntaxSet> Syntax { get; } = [];
    public List<Example> Examples { get; } = [];
    public List<Parameter> Parameters { get; } = [];
    public List<TypeEntry> Inputs { get; } = [];
    public List<TypeEntry> Outputs { get; } = [];
    public List<string> Notes { get; } = [];
    public List<Link> Links { get; } = [];

    /// <summary>The parameters of one set, in the order its SYNTAX block names them.</summary>
    public IEnumerable<Parameter> ParametersOf(SyntaxSet set) =>
        Markdown.SyntaxParameterNames(set.Text).Select(n => Parameters.Single(p => p.Name == n));
}

internal enum BlockKind { Heading, Paragraph, Code }

/// <summary>A heading (Lines[0] is its text), a paragraph, or a fenced code block (Info is its language).</summary>
internal sealed record Block(BlockKind Kind, int Line, List<string> Lines, int Level = 0, string Info = "")
{
    public string Text => Lines[0];

    public string Describe() => Kind switch
    {
        BlockKind.Heading => $"heading '{new string('#', Level)} {Text}'",
        BlockKind.Code => "code block",
        _ => $"text '{Lines[0].Trim()}'",
    };
}

internal static partial class Markdown
{
    /// <summary>Reads the front matter (--- ... ---) if any; returns it and the index of the first line after it.</summary>
    public static (Dictionary<string, string> Values, int Next) FrontMatter(string file, string[] lines)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Length == 0 || lines[0].Trim() != "---")
        {
            return (values, 0);
        }

        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim() == "---")
            {
                return (values, i + 1);
            }

            int colon = lines[i].IndexOf(':');
            if (colon > 0)
            {
                values[lines[i][..colon].Trim()] = lines[i][(colon + 1)..].Trim();
            }
        }

        throw new HelpFormatException(file, 1, "the front matter opened by '---' is never closed");
    }

    /// <summary>Splits markdown into headings, paragraphs (blank-line separated) and fenced code blocks.</summary>
    public static List<Block> Blocks(string file, string[] lines, int start)
    {
        var blocks = new List<Block>();
        int i = start;
        while (i < lines.Length)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                i++;
            }
            else if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                int open = i;
                string indent = line[..(line.Length - line.TrimStart().Length)];
                var body = new List<string>();
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                {
                    // An opening fence inside a code block means a closing ``` went missing above; read on
                    // and the rest of the page would shift into the wrong blocks without a word.
                    if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
                    {
                        throw new HelpFormatException(file, open + 1, $"this code block is never closed with ``` before the '{lines[i].Trim()}' at line {i + 1}");
                    }

                    body.Add(lines[i].StartsWith(indent, StringComparison.Ordinal) ? lines[i][indent.Length..] : lines[i]);
                }

                if (i == lines.Length)
                {
                    throw new HelpFormatException(file, open + 1, "this code block is never closed with ```");
                }

                blocks.Add(new Block(BlockKind.Code, open + 1, body, Info: line.Trim()[3..].Trim()));
                i++;
            }
            else if (HeadingPattern().Match(line) is { Success: true } heading)
            {
                blocks.Add(new Block(BlockKind.Heading, i + 1, [heading.Groups[2].Value.Trim()], heading.Groups[1].Length));
                i++;
            }
            else
            {
                int first = i;
                var body = new List<string>();
                for (; i < lines.Length && !string.IsNullOrWhiteSpace(lines[i]) && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal)
                       && !HeadingPattern().IsMatch(lines[i]); i++)
                {
                    body.Add(lines[i]);
                }

                blocks.Add(new Block(BlockKind.Paragraph, first + 1, body));
            }
        }

        return blocks;
    }

    /// <summary>
    /// A paragraph as plain text. Ordinary lines are joined with spaces (Get-Help wraps a maml:para
    /// itself); tables and lists keep their line breaks, which would be unreadable as one line.
    /// </summary>
    public static string ParagraphText(IEnumerable<string> lines)
    {
        var list = lines.Select(l => l.TrimEnd()).ToList();
        bool keepBreaks = list.Any(l => ListOrTableLine().IsMatch(l));
        return keepBreaks
            ? string.Join("\n", list.Select(Inline))
            : Inline(string.Join(" ", list.Select(l => l.Trim())));
    }

    /// <summary>Inline markdown to plain text: `code`, **bold**, __bold__, [text](uri), backslash escapes.</summary>
    public static string Inline(string text)
    {
        text = LinkPattern().Replace(text, m => IsAbsoluteUri(m.Groups[2].Value) ? $"{m.Groups[1].Value} ({m.Groups[2].Value})" : m.Groups[1].Value);
        text = Regex.Replace(text, @"\*\*(.+?)\*\*|__(.+?)__", m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        text = Regex.Replace(text, @"`([^`]+)`", "$1");
        return Regex.Replace(text, @"\\([\\`*_{}\[\]()#+\-.!<>|])", "$1");
    }

    public static bool IsAbsoluteUri(string uri) => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https";

    /// <summary>The -Name tokens of a Get-Command -Syntax line, in order ([&lt;CommonParameters&gt;] has no dash).</summary>
    public static List<string> SyntaxParameterNames(string syntax) =>
        Regex.Matches(syntax, @"(?<=[\s\[])-(\w+)").Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"^(#{1,6})\s+(.+?)\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s*(\||[-*+]\s|\d+\.\s)")]
    private static partial Regex ListOrTableLine();

    [GeneratedRegex(@"\[([^\]]*)\]\(([^)\s]*)\)")]
    public static partial Regex LinkPattern();
}
