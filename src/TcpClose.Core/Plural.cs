using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// Counted nouns and verbs for messages, so no message says "1 connection ... hold it" or
    /// "row(s)": every message that counts things builds its words here.
    /// </summary>
    public static class Plural
    {
        /// <summary>"1 connection", "2 connections" (<paramref name="many"/> defaults to <paramref name="one"/> + "s").</summary>
        public static string Of(long count, string one, string many = null) => $"{count} {Word(count, one, many)}";

        /// <summary>The noun or verb form for <paramref name="count"/> without the number: Word(1, "holds", "hold").</summary>
        public static string Word(long count, string one, string many = null) => count == 1 ? one : many ?? one + "s";

        /// <summary>"port 8080" or "ports 8080, 8081".</summary>
        public static string Ports(ICollection<int> ports) => $"{Word(ports.Count, "port")} {string.Join(", ", ports)}";
    }
}
