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
            FileStream fs;
            try
            {
                fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            }
            catch (FileNotFoundException) when (path == Tcp6Path)
            {
                yield break;
            }
            catch (DirectoryNotFoundException) when (path == Tcp6Path)
            {
                yield break;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new TcpSourceRefusedException(path + ": " + e.Message, 0);
            }
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
