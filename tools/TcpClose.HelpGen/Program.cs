using TcpClose.HelpGen;

// dotnet run --project tools/TcpClose.HelpGen -- <docsDir> <outDir>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TcpClose.HelpGen <docsDir> <outDir>");
    return 2;
}

try
{
    foreach (string file in HelpGenerator.Generate(args[0], args[1]))
    {
        Console.WriteLine($"wrote {file}");
    }

    return 0;
}
catch (HelpFormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
