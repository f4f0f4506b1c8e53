using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>The Windows TCP settings behind TIME_WAIT and the ephemeral ports (Windows only).</summary>
    /// <remarks>Compiled everywhere, called only when RuntimeInformation says Windows.</remarks>
    internal static class WindowsTcpSettings
    {
        internal const string ParametersKey = @"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters";

        /// <summary>RegGetValueW (advapi32), used instead of the Microsoft.Win32.Registry package.</summary>
        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        static extern int RegGetValueW(IntPtr hkey, string subKey, string value, uint flags, out uint type, out uint data, ref uint size);

        static readonly IntPtr HKEY_LOCAL_MACHINE = new IntPtr(unchecked((int)0x80000002));
        const uint RRF_RT_REG_DWORD = 0x10;

        /// <summary>A REG_DWORD under HKLM\<see cref="ParametersKey"/>; null when the value is absent (the usual case: the OS default applies).</summary>
        internal static uint? ReadParameter(string value)
        {
            try
            {
                uint size = 4;
                int rc = RegGetValueW(HKEY_LOCAL_MACHINE, ParametersKey, value, RRF_RT_REG_DWORD, out _, out uint data, ref size);
                return rc == 0 ? data : (uint?)null;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return null;
            }
        }

        /// <summary>The output of <c>netsh interface ipv4|ipv6 show dynamicport tcp</c>; null when netsh is missing, fails or hangs.</summary>
        /// <remarks>
        /// Windows has no documented API for the dynamic port range: netsh reads it through the
        /// undocumented NSI interface, Get-NetTCPSetting through CIM (MSFT_NetTCPSetting, which needs
        /// the Microsoft.Management.Infrastructure assembly), and the persistent copy in the registry
        /// (under Services\NSI) is an undocumented binary blob. So the module runs netsh, one short
        /// child process per family, and parses only the two numbers (the labels are localized).
        /// </remarks>
        internal static string ReadNetshDynamicPort(bool v6)
        {
            string netsh = Path.Combine(Environment.SystemDirectory, "netsh.exe");
            var psi = new ProcessStartInfo(netsh, "interface " + (v6 ? "ipv6" : "ipv4") + " show dynamicport tcp")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            try
            {
                using (var p = Process.Start(psi))
                {
                    if (p == null)
                        return null;
                    var output = p.StandardOutput.ReadToEndAsync();
                    p.StandardError.ReadToEndAsync();
                    if (!p.WaitForExit(10000))
                    {
                        try { p.Kill(); } catch (InvalidOperationException) { }
                        return null;
                    }
                    return p.ExitCode == 0 && output.Wait(1000) ? output.Result : null;
                }
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is InvalidOperationException || e is IOException)
            {
                return null;
            }
        }

        /// <summary>
        /// The range from netsh's output: the first two "label : number" lines are the start port and
        /// the number of ports, in that order, whatever language the labels are in. Null when the text
        /// does not hold two such numbers or they make no range.
        /// </summary>
        internal static PortRange ParseNetshDynamicPort(string text)
        {
            if (text == null)
                return null;
            int found = 0, start = 0, count = 0;
            foreach (string line in text.Split('\n'))
            {
                int colon = line.LastIndexOf(':');
                if (colon < 0 || !int.TryParse(line.Substring(colon + 1).Trim(), System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out int n))
                    continue;
                if (found == 0)
                    start = n;
                else
                    count = n;
                if (++found == 2)
                    break;
            }
            if (found < 2 || start < 1 || count < 1 || start + count - 1 > 65535)
                return null;
            return new PortRange(start, start + count - 1);
        }
    }
}
