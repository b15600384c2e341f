using Microsoft.Extensions.Options;
using Signaling.Push.Apns;
using Signaling.Push.Fcm;

namespace Signaling.Push;

/// <summary>Generated validation of <see cref="PushOptions"/> (data annotations).</summary>
[OptionsValidator]
internal sealed partial class PushOptionsValidator : IValidateOptions<PushOptions>;

/// <summary>Generated validation of <see cref="ApnsOptions"/> (data annotations and <c>IValidatableObject</c>).</summary>
[OptionsValidator]
internal sealed partial class ApnsOptionsValidator : IValidateOptions<ApnsOptions>;

/// <summary>Generated validation of <see cref="FcmOptions"/> (data annotations and <c>IValidatableObject</c>).</summary>
[OptionsValidator]
internal sealed partial class FcmOptionsValidator : IValidateOptions<FcmOptions>;
