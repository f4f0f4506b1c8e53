using System;
using System.Text;

namespace TcpClose
{
    /// <summary>
    /// The text encodings Send-TcpData and Receive-TcpData accept by name (their -Encoding
    /// ValidateSet). Kept in the core so the mapping is unit-tested; the cmdlets only pass the name.
    /// </summary>
    public static class TextEncodings
    {
        /// <summary>The accepted names, in the order the docs list them.</summary>
        public static readonly string[] Names = { "UTF8", "ASCII", "Unicode", "BigEndianUnicode", "UTF32", "Latin1" };

        /// <summary>
        /// The encoding for <paramref name="name"/> (case-insensitive). UTF8 is without BOM: a BOM in
        /// the middle of a TCP stream is three junk bytes to the peer. Null or empty means UTF8.
        /// </summary>
        /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
        public static Encoding Get(string name)
        {
            switch ((name ?? "UTF8").ToUpperInvariant())
            {
                case "":
                case "UTF8":
                    return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
                case "ASCII":
                    return Encoding.ASCII;
                case "UNICODE":
                    return new UnicodeEncoding(bigEndian: false, byteOrderMark: false);
                case "BIGENDIANUNICODE":
                    return new UnicodeEncoding(bigEndian: true, byteOrderMark: false);
                case "UTF32":
                    return new UTF32Encoding(bigEndian: false, byteOrderMark: false);
                case "LATIN1":
                    // ISO-8859-1: built into .NET Framework and .NET (Core) alike, no code page provider needed.
                    return Encoding.GetEncoding(28591);
                default:
                    throw new ArgumentException(
                        $"Unknown text encoding '{name}'. Allowed values: {string.Join(", ", Names)}.", nameof(name));
            }
        }
    }
}
