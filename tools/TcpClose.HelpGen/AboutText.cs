using System.Text;

namespace TcpClose.HelpGen;

/// <summary>
/// about_*.help.md to the plain text Get-Help shows for an about topic: '# about_X' becomes TOPIC
/// with the name under it, '## Heading' an upper-case heading at column 0, deeper headings
/// upper-case at column 4, and the body and code are indented 4 (as platyPS's TextRenderer does) with
/// inline markdown removed. Lines are kept as written rather than re-wrapped at 80 columns.
/// </summary>
public static class AboutText
{
    public static string Convert(string path)
    {
        string file = Path.GetFileName(path);
        string topic = file[..^".help.md".Length];
        string[] lines = File.ReadAllLines(path);
        var (_, start) = Markdown.FrontMatter(file, lines);
        var text = new StringBuilder();
        var headings = new List<string>();
        bool inCode = false;
        int codeLine = 0;
        for (int i = start; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                codeLine = i + 1;
            }
            else if (inCode)
            {
                text.AppendLine(line.Length == 0 ? "" : "    " + line);
            }
            else if (line.StartsWith('#'))
            {
                int level = line.TakeWhile(c => c == '#').Count();
                string heading = line[level..].Trim();
                headings.Add(heading.ToUpperInvariant());
                if (level == 1)
                {
                    if (heading != topic)
                    {
                        throw new HelpFormatException(file, i + 1, $"expected '# {topic}', found '{line}'");
                    }

                    text.AppendLine("TOPIC").AppendLine("    " + heading);
                }
                else
                {
                    text.AppendLine((level == 2 ? "" : "    ") + heading.ToUpperInvariant());
                }
            }
            else
            {
                text.AppendLine(line.Length == 0 ? "" : "    " + Markdown.Inline(line));
            }
        }

        if (inCode)
        {
            throw new HelpFormatException(file, codeLine, "this code block is never closed with ```");
        }

        foreach (string required in new[] { topic.ToUpperInvariant(), "SHORT DESCRIPTION", "LONG DESCRIPTION" }.Where(h => !headings.Contains(h)))
        {
            throw new HelpFormatException(file, 1, $"no '{required}' heading");
        }

        return text.ToString();
    }
}
