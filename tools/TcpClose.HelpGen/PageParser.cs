namespace TcpClose.HelpGen;

/// <summary>Reads one platyPS cmdlet page into a <see cref="CommandHelp"/>, or throws naming file and line.</summary>
internal sealed class PageParser
{
    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS"];
    private static readonly string[] OptionalSections = ["INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];
    private static readonly string[] YamlKeys =
        ["Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];

    private const string AllSets = "__AllParameterSets";

    private readonly string _file;

    private PageParser(string file) => _file = file;

    public static CommandHelp Parse(string path)
    {
        var parser = new PageParser(Path.GetFileName(path));
        string[] lines = File.ReadAllLines(path);
        var (front, next) = Markdown.FrontMatter(parser._file, lines);
        return parser.Parse(front, Markdown.Blocks(parser._file, lines, next), Path.GetFileNameWithoutExtension(path));
    }

    private HelpFormatException Error(int line, string message) => new(_file, line, message);

    private CommandHelp Parse(Dictionary<string, string> front, List<Block> blocks, string expectedName)
    {
        if (!front.TryGetValue("external help file", out string? helpFile) || !helpFile.EndsWith("-Help.xml", StringComparison.OrdinalIgnoreCase)
            || helpFile.IndexOfAny(['/', '\\']) >= 0)
        {
            throw Error(1, "the front matter needs 'external help file: <Assembly>-Help.xml'");
        }

        if (blocks.Count == 0 || blocks[0] is not { Kind: BlockKind.Heading, Level: 1 })
        {
            throw Error(blocks.Count == 0 ? 1 : blocks[0].Line, "expected '# <Verb-Noun>' as the first heading");
        }

        if (blocks[0].Text != expectedName)
        {
            throw Error(blocks[0].Line, $"the page is named '# {blocks[0].Text}' but the file is {expectedName}.md");
        }

        var command = new CommandHelp { Name = blocks[0].Text, HelpFile = helpFile };
        var seen = new Dictionary<string, int>();
        int i = 1;
        while (i < blocks.Count)
        {
            var heading = blocks[i];
            if (heading is not { Kind: BlockKind.Heading, Level: 2 })
            {
                throw Error(heading.Line, $"expected a '## SECTION' heading, found {heading.Describe()}");
            }

            string section = heading.Text.ToUpperInvariant();
            if (!RequiredSections.Contains(section) && !OptionalSections.Contains(section))
            {
                throw Error(heading.Line, $"unknown section '## {heading.Text}'");
            }

            if (!seen.TryAdd(section, heading.Line))
            {
                throw Error(heading.Line, $"'## {section}' appears twice (first at line {seen[section]})");
            }

            int end = i + 1;
            while (end < blocks.Count && !(blocks[end].Kind == BlockKind.Heading && blocks[end].Level <= 2))
            {
                end++;
            }

            ReadSection(command, section, heading, blocks.GetRange(i + 1, end - i - 1));
            i = end;
        }

        foreach (string section in RequiredSections.Where(s => !seen.ContainsKey(s)))
        {
            throw Error(1, $"no '## {section}' section");
        }

        if (front.TryGetValue("online version", out string? online) && online.Length > 0)
        {
            // New-ExternalHelp turns the 'online version' header into the first related link; Get-Help -Online opens it.
            command.Links.Insert(0, new Link("Online Version:", online));
        }

        CheckSyntaxAgainstParameters(command);
        return command;
    }

    private void ReadSection(CommandHelp command, string section, Block heading, List<Block> body)
    {
        switch (section)
        {
            case "SYNOPSIS":
                command.Synopsis.AddRange(Paragraphs(body, section));
                if (command.Synopsis.Count == 0)
                {
                    throw Error(heading.Line, "'## SYNOPSIS' is empty");
                }

                break;
            case "DESCRIPTION":
                command.Description.AddRange(Paragraphs(body, section));
                break;
            case "NOTES":
                command.Notes.AddRange(Paragraphs(body, section));
                break;
            case "SYNTAX":
                ReadSyntax(command, heading, body);
                break;
            case "EXAMPLES":
                foreach (var (title, content) in Subsections(body, section))
                {
                    command.Examples.Add(ReadExample(title, content));
                }

                break;
            case "PARAMETERS":
                foreach (var (title, content) in Subsections(body, section))
                {
                    if (title.Text.StartsWith('-'))
                    {
                        command.Parameters.Add(ReadParameter(title, content));
                    }
                    else if (title.Text != "CommonParameters")
                    {
                        throw Error(title.Line, $"expected '### -Name' or '### CommonParameters', found '### {title.Text}'");
                    }
                }

                break;
            case "INPUTS":
            case "OUTPUTS":
                var types = section == "INPUTS" ? command.Inputs : command.Outputs;
                types.AddRange(Subsections(body, section).Select(s => new TypeEntry(s.Title.Text, Paragraphs(s.Body, section))));
                break;
            case "RELATED LINKS":
                foreach (var block in body)
                {
                    if (block.Kind != BlockKind.Paragraph)
                    {
                        throw Error(block.Line, $"'## RELATED LINKS' holds only [text](uri) links, found {block.Describe()}");
                    }

                    string text = string.Join(" ", block.Lines);
                    if (Markdown.LinkPattern().Replace(text, "").Trim().Length > 0)
                    {
                        throw Error(block.Line, $"'## RELATED LINKS' holds only [text](uri) links, found '{text.Trim()}'");
                    }

                    command.Links.AddRange(Markdown.LinkPattern().Matches(text).Select(m => new Link(m.Groups[1].Value, m.Groups[2].Value)));
                }

                break;
        }
    }

    /// <summary>Paragraphs and code blocks as maml:para texts; a heading here would be lost, so it is an error.</summary>
    private List<string> Paragraphs(List<Block> body, string section) => body.Select(block => block.Kind switch
    {
        BlockKind.Paragraph => Markdown.ParagraphText(block.Lines),
        BlockKind.Code => string.Join("\n", block.Lines),
        _ => throw Error(block.Line, $"unexpected {block.Describe()} in '## {section}'"),
    }).ToList();

    private List<(Block Title, List<Block> Body)> Subsections(List<Block> body, string section)
    {
        var result = new List<(Block, List<Block>)>();
        foreach (var block in body)
        {
            if (block is { Kind: BlockKind.Heading, Level: 3 })
            {
                result.Add((block, []));
            }
            else if (result.Count == 0 || block.Kind == BlockKind.Heading)
            {
                throw Error(block.Line, $"expected a '### ' heading in '## {section}', found {block.Describe()}");
            }
            else
            {
                result[^1].Item2.Add(block);
            }
        }

        return result;
    }

    private void ReadSyntax(CommandHelp command, Block heading, List<Block> body)
    {
        // A cmdlet with one parameter set has a bare code block: platyPS writes no '### SetName' for it.
        if (body is [{ Kind: BlockKind.Code } only])
        {
            command.Syntax.Add(new SyntaxSet(AllSets, only.Line, string.Join("\n", only.Lines)));
            return;
        }

        foreach (var (title, content) in Subsections(body, "SYNTAX"))
        {
            if (content is not [{ Kind: BlockKind.Code } code])
            {
                throw Error(title.Line, $"'### {title.Text}' in '## SYNTAX' needs exactly one code block");
            }

            string name = title.Text.EndsWith(" (Default)", StringComparison.Ordinal) ? title.Text[..^" (Default)".Length].Trim() : title.Text;
            command.Syntax.Add(new SyntaxSet(name, code.Line, string.Join("\n", code.Lines)));
        }

        if (command.Syntax.Count == 0)
        {
            throw Error(heading.Line, "'## SYNTAX' has no code block");
        }
    }

    private Example ReadExample(Block title, List<Block> body)
    {
        var code = body.Where(b => b.Kind == BlockKind.Code).Select(b => string.Join("\n", b.Lines)).ToList();
        if (code.Count == 0)
        {
            throw Error(title.Line, $"'### {title.Text}' has no code block");
        }

        // platyPS keeps text written before the code as an 'introduction' that its MAML never shows;
        // here it leads the remarks instead, so nothing written is lost.
        var remarks = body.Where(b => b.Kind == BlockKind.Paragraph).Select(b => Markdown.ParagraphText(b.Lines)).ToList();
        return new Example(title.Text, string.Join("\n\n", code), remarks);
    }

    private Parameter ReadParameter(Block title, List<Block> body)
    {
        string name = title.Text[1..];
        var yamlBlocks = body.Where(b => b.Kind == BlockKind.Code).ToList();
        if (yamlBlocks.Count != 1 || yamlBlocks[0].Info != "yaml")
        {
            throw Error(title.Line, $"'### -{name}' needs exactly one ```yaml block (found {yamlBlocks.Count} code blocks)");
        }

        var yaml = yamlBlocks[0];
        var values = new Dictionary<string, string>();
        for (int i = 0; i < yaml.Lines.Count; i++)
        {
            string line = yaml.Lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            int colon = line.IndexOf(':');
            string key = colon > 0 ? line[..colon].Trim() : line.Trim();
            if (colon <= 0 || !(YamlKeys.Contains(key) || key == "Accepted values") || !values.TryAdd(key, line[(colon + 1)..].Trim()))
            {
                throw Error(yaml.Line + 1 + i, $"unexpected line '{line.Trim()}' in the yaml block of -{name}");
            }
        }

        foreach (string key in YamlKeys.Where(k => !values.ContainsKey(k)))
        {
            throw Error(yaml.Line, $"the yaml block of -{name} has no '{key}:' line");
        }

        string position = values["Position"];
        if (position != "Named" && !int.TryParse(position, out _))
        {
            throw Error(yaml.Line, $"-{name}: Position must be Named or a number, not '{position}'");
        }

        string pipeline = values["Accept pipeline input"];
        if (!pipeline.StartsWith("True", StringComparison.OrdinalIgnoreCase) && !pipeline.Equals("False", StringComparison.OrdinalIgnoreCase))
        {
            throw Error(yaml.Line, $"-{name}: 'Accept pipeline input' must be False or True (...), not '{pipeline}'");
        }

        var description = body.Where(b => b.Kind == BlockKind.Paragraph).Select(b => Markdown.ParagraphText(b.Lines)).ToList();
        return new Parameter(
            name, title.Line, description, values["Type"], List(values["Parameter Sets"]), List(values["Aliases"]),
            List(values.GetValueOrDefault("Accepted values", "")), Bool(yaml, name, "Required", values["Required"]),
            position, values["Default value"], pipeline, Bool(yaml, name, "Accept wildcard characters", values["Accept wildcard characters"]));
    }

    private bool Bool(Block yaml, string name, string key, string value) => bool.TryParse(value, out bool result)
        ? result
        : throw Error(yaml.Line, $"-{name}: '{key}' must be True or False, not '{value}'");

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Each SYNTAX block must name exactly the parameters whose 'Parameter Sets' include its set:
    /// the MAML syntax items are built from both, and a mismatch means the page is out of date.
    /// </summary>
    private void CheckSyntaxAgainstParameters(CommandHelp command)
    {
        var duplicate = command.Parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
        {
            throw Error(duplicate.Last().Line, $"-{duplicate.Key} is documented twice");
        }

        var setNames = command.Syntax.Select(s => s.Name).ToHashSet();
        foreach (var parameter in command.Parameters)
        {
            if (parameter.Sets is not ["(All)"] && parameter.Sets.FirstOrDefault(s => !setNames.Contains(s)) is { } unknown)
            {
                throw Error(parameter.Line, $"-{parameter.Name} names parameter set '{unknown}', which '## SYNTAX' does not have");
            }
        }

        foreach (var set in command.Syntax)
        {
            var inSyntax = Markdown.SyntaxParameterNames(set.Text);
            var inSet = command.Parameters.Where(p => p.Sets is ["(All)"] || p.Sets.Contains(set.Name)).Select(p => p.Name).ToList();
            if (inSyntax.Count != inSyntax.Distinct().Count() || !inSyntax.Order().SequenceEqual(inSet.Order()))
            {
                throw Error(set.Line, $"the syntax of set '{set.Name}' names {Names(inSyntax)} but '## PARAMETERS' gives it {Names(inSet)}");
            }
        }
    }

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Select(n => "-" + n)) : "no parameters";
}
