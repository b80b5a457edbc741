"""`check --deploy`: a SPID/CIE service provider in production names its Comune (IPA and cadastral codes), signs
with the key and certificate registered with AgID (not one the portal made for development), and checks the
registry's signature. (The test IdPs come with the pagoPA fake, which settings refuse in production.)"""

from django.core.checks import Tags, Warning, register

from . import conf

DEMO_IPA_CODE = "c_demo"
DEMO_MUNICIPALITY = "A944"


@register(Tags.security, deploy=True)
def spid_production_settings(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    info = conf.organization()
    if info["ipa_code"] == DEMO_IPA_CODE or info["municipality"] == DEMO_MUNICIPALITY:
        warnings.append(
            Warning(
                "The SPID/CIE metadata name the demo Comune (IPA code or cadastral code).",
                hint="Set SPID_IPA_CODE and SPID_MUNICIPALITY_CODE to the Comune's codes.",
                id="spid.W201",
            )
        )
    if not (conf.configured("SPID_KEY_FILE") and conf.configured("SPID_CERT_FILE")):
        warnings.append(
            Warning(
                "SPID signs with a key and certificate the portal made itself (var/saml/).",
                hint="Set SPID_KEY_FILE and SPID_CERT_FILE to the key and certificate registered with AgID.",
                id="spid.W202",
            )
        )
    if conf.registry_url() and not conf.registry_cert_file():
        warnings.append(
            Warning(
                "The SPID registry's identity providers would be loaded without checking AgID's signature.",
                hint="Set SPID_REGISTRY_CERT_FILE to AgID's metadata signing certificate.",
                id="spid.W203",
            )
        )
    return warnings
