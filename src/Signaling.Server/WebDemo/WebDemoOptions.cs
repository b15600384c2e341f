namespace Signaling.Server.WebDemo;

/// <summary>The web call page (configuration section <c>WebDemo</c>).</summary>
public sealed class WebDemoOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "WebDemo";

    /// <summary>Serve the call page at <c>/</c>. Default true in Development, false elsewhere.</summary>
    public bool Enabled { get; set; }
}
