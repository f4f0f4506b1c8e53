using System;
using System.Collections.Generic;
using System.IO;

namespace TcpClose.Native
{
    /// <summary>The /proc/net/tcp and /proc/net/tcp6 files, read as a stream of lines.</summary>
    internal static class LinuxProcNet
    {
        internal const string Tcp4Path = "/proc/net/tcp";
        internal const string Tcp6Path = "/proc/net/tcp6";

        /// <summary>Streams the rows of one file with a fixed 64 KiB buffer.</summary>
        /// <remarks>
        /// The file is a seq_file generated as it is read: it has no size, and a table that changes
        /// while read may show a socket twice or miss one (the kernel resumes by slot number). There
        /// is no kernel-side filter: every row is formatted by the kernel and parsed here.
        /// tcp6 is missing when IPv6 is disabled at boot: that is an empty table, not an error.
        /// </remarks>
        internal static IEnumerable<RawTcpRow> ReadFile(string path, TcpTableWarnings warnings)
        {
            foreach (RawTcpRow r in ReadFile(Open(path), path, warnings))
                yield return r;
        }

        /// <summary>The same files as the calling thread's namespace sees them (/proc/net is the main thread's).</summary>
        internal const string ThreadTcp4Path = "/proc/thread-self/net/tcp";
        internal const string ThreadTcp6Path = "/proc/thread-self/net/tcp6";

        /// <summary>Opens one of the files; null for a missing tcp6 (IPv6 disabled: an empty table).
        /// The open file keeps the namespace it was opened in.</summary>
        internal static FileStream Open(string path)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            }
            catch (FileNotFoundException) when (path.EndsWith("tcp6", StringComparison.Ordinal))
            {
                return null;
            }
            catch (DirectoryNotFoundException) when (path.EndsWith("tcp6", StringComparison.Ordinal))
            {
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new TcpSourceRefusedException(path + ": " + e.Message, 0);
            }
        }

        /// <summary>Streams the rows of an opened file (null: none); <paramref name="path"/> names it in warnings.</summary>
        internal static IEnumerable<RawTcpRow> ReadFile(FileStream fs, string path, TcpTableWarnings warnings)
        {
            if (fs == null)
                yield break;
            using (fs)
            {
                var buf = new byte[64 * 1024];
                int filled = 0;
                bool skipping = false; // inside a line longer than the buffer
                while (true)
                {
                    int n = fs.Read(buf, filled, buf.Length - filled);
                    if (n <= 0)
                    {
                        if (filled > 0 && !skipping)
                        {
                            var k = ProcNetParser.Parse(buf, 0, filled, out RawTcpRow last, out string why);
                            if (k == ProcNetLine.Row)
                                yield return last;
                            else if (k == ProcNetLine.Malformed)
                                warnings.Add(why);
                        }
                        yield break;
                    }
                    filled += n;
                    int start = 0;
                    while (true)
                    {
                        int nl = Array.IndexOf(buf, (byte)'\n', start, filled - start);
                        if (nl < 0)
                            break;
                        if (skipping)
                            skipping = false;
                        else
                        {
                            var k = ProcNetParser.Parse(buf, start, nl - start, out RawTcpRow row, out string why);
                            if (k == ProcNetLine.Row)
                                yield return row;
                            else if (k == ProcNetLine.Malformed)
                                warnings.Add(why);
                        }
                        start = nl + 1;
                    }
                    if (start == 0 && filled == buf.Length)
                    {
                        warnings.Add(path + ": line longer than 64 KiB skipped");
                        skipping = true;
                        filled = 0;
                        continue;
                    }
                    Buffer.BlockCopy(buf, start, buf, 0, filled - start);
                    filled -= start;
                }
            }
        }
    }
}
