using System;
using System.IO;

namespace TcpClose.Native
{
    /// <summary>Linux sysctls read as the text files under /proc/sys (what sysctl(8) itself reads).</summary>
    internal static class LinuxSysctl
    {
        internal const string Root = "/proc/sys/";

        /// <summary>The /proc/sys path of a sysctl name: "net.ipv4.tcp_tw_reuse" is /proc/sys/net/ipv4/tcp_tw_reuse.</summary>
        internal static string PathOf(string name) => Root + name.Replace('.', '/');

        /// <summary>The file's text without the trailing newline; null when the file does not exist or cannot be read.</summary>
        /// <remarks>
        /// The net.* files belong to the reading process's network namespace: inside a container they
        /// show the container's values. A sysctl the kernel lacks (older kernel, IPv6 disabled) has no
        /// file: that is "not exposed", not an error.
        /// </remarks>
        internal static string Read(string name)
        {
            try
            {
                return File.ReadAllText(PathOf(name)).TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
