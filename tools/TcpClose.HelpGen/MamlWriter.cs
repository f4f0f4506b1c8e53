using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace TcpClose.HelpGen;

/// <summary>
/// Writes MAML as platyPS 0.14's New-ExternalHelp does (its MamlRenderer): the same elements,
/// attributes, namespaces and order, which is what PowerShell's help reader expects.
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument ToMaml(IEnumerable<CommandHelp> commands) => new(
        new XDeclaration("1.0", "utf-8", null),
        new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(CommandElement)));

    public static void Save(XDocument document, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static XElement CommandElement(CommandHelp command)
    {
        string verb = command.Name.Split('-')[0];
        string noun = command.Name[Math.Min(verb.Length + 1, command.Name.Length)..];
        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", command.Name),
                new XElement(Command + "verb", verb),
                new XElement(Command + "noun", noun),
                new XElement(Maml + "description", Paras(command.Synopsis))),
            new XElement(Maml + "description", Paras(command.Description)),
            new XElement(Command + "syntax", command.Syntax.Select(set =>
                new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", command.Name),
                    command.ParametersOf(set).Select(p => ParameterElement(p, inSyntax: true))))),
            new XElement(Command + "parameters", command.Parameters.Select(p => ParameterElement(p, inSyntax: false))),
            new XElement(Command + "inputTypes", command.Inputs.Select(t => TypeElement("inputType", t))),
            new XElement(Command + "returnValues", command.Outputs.Select(t => TypeElement("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(command.Notes))),
            new XElement(Command + "examples", command.Examples.Select(e =>
                new XElement(Command + "example",
                    new XElement(Maml + "title", PadExampleTitle(e.Title)),
                    new XElement(Dev + "code", e.Code),
                    new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Command + "relatedLinks", command.Links.Select(link =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", link.Text),
                    // Get-Help rejects a uri that is not absolute; platyPS writes it empty (links between .md pages).
                    new XElement(Maml + "uri", Markdown.IsAbsoluteUri(link.Uri) ? link.Uri : "")))));
    }

    private static XElement ParameterElement(Parameter p, bool inSyntax) => new(Command + "parameter",
        new XAttribute("required", p.Required ? "true" : "false"),
        new XAttribute("variableLength", "true"),
        new XAttribute("globbing", p.Globbing ? "true" : "false"),
        new XAttribute("pipelineInput", p.PipelineInput),
        new XAttribute("position", p.Position.ToLowerInvariant()),
        new XAttribute("aliases", p.Aliases.Length > 0 ? string.Join(", ", p.Aliases) : "none"),
        new XElement(Maml + "name", p.Name),
        new XElement(Maml + "description", Paras(p.Description)),
        // Accepted values appear only in the syntax; platyPS puts variableLength in the command
        // namespace here (and nowhere else), which the help reader ignores either way.
        inSyntax && p.AcceptedValues.Length > 0
            ? new XElement(Command + "parameterValueGroup", p.AcceptedValues.Select(v =>
                new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v)))
            : null,
        // In the syntax a switch has no value, or Get-Help would print "-Abort <SwitchParameter>".
        inSyntax && p.IsSwitch
            ? null
            : new XElement(Command + "parameterValue", new XAttribute("required", p.IsSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), MamlType(p)),
        new XElement(Dev + "type", new XElement(Maml + "name", MamlType(p)), new XElement(Maml + "uri")),
        new XElement(Dev + "defaultValue", p.IsSwitch && p.DefaultValue is "" or "None" ? "False" : p.DefaultValue));

    private static string MamlType(Parameter p) => p.IsSwitch ? "SwitchParameter" : p.Type;

    private static XElement TypeElement(string name, TypeEntry type) => new(Command + name,
        new XElement(Dev + "type", new XElement(Maml + "name", type.Name)),
        new XElement(Maml + "description", Paras(type.Description)));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) => paragraphs.Select(p => new XElement(Maml + "para", p));

    /// <summary>
    /// "Example 1: Title" becomes "----- Example 1: Title -----", dashes on both sides to about 64
    /// columns, as platyPS pads it; Get-Help prints the title as it is.
    /// </summary>
    public static string PadExampleTitle(string title)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Length >= 62)
        {
            return title;
        }

        string dashes = new('-', (64 - title.Length - 2) / 2);
        return $"{dashes} {title} {dashes}";
    }
}
