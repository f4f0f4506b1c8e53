namespace TcpClose.HelpGen;

/// <summary>docs/en-US in, &lt;Assembly&gt;-Help.xml and about_*.help.txt out.</summary>
public static class HelpGenerator
{
    /// <summary>Returns the files written. Throws <see cref="HelpFormatException"/> on the first malformed page.</summary>
    public static IReadOnlyList<string> Generate(string docsDir, string outDir)
    {
        if (!Directory.Exists(docsDir))
        {
            throw new HelpFormatException(docsDir, 0, "no such directory");
        }

        var markdown = Directory.GetFiles(docsDir, "*.md").Order(StringComparer.Ordinal).ToList();
        var about = markdown.Where(IsAbout).ToList();
        var commands = markdown.Except(about).Select(PageParser.Parse).ToList();
        if (commands.Count == 0)
        {
            throw new HelpFormatException(docsDir, 0, "no cmdlet pages (*.md other than about_*.help.md)");
        }

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        foreach (var file in commands.GroupBy(c => c.HelpFile, StringComparer.OrdinalIgnoreCase))
        {
            string path = Path.Combine(outDir, file.Key);
            MamlWriter.Save(MamlWriter.ToMaml(file), path);
            written.Add(path);
        }

        foreach (string page in about)
        {
            string path = Path.Combine(outDir, Path.GetFileName(page)[..^".md".Length] + ".txt");
            File.WriteAllText(path, AboutText.Convert(page));
            written.Add(path);
        }

        return written;
    }

    private static bool IsAbout(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("about_", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".help.md", StringComparison.OrdinalIgnoreCase);
    }
}
