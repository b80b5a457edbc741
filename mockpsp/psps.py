"""The fake PSPs and test cards: a fixed list in code (fictional names and fees, never real providers)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Psp:
    id: str
    name: str
    fiscal_code: str
    fee_cents: int
    methods: frozenset[str]
    channel: str


# Methods on the checkout, with the code that goes in the receipt's paymentMethod.
METHODS = {
    "card": (_("Carta di credito, debito o prepagata"), "CP"),
    "account": (_("Conto corrente (home banking)"), "BBT"),
    "wallet": (_("Altri wallet (app di pagamento)"), "PPAL"),
}
SHOP_METHOD_CODE = "PO"  # paid at the counter of a PSP (shop, post office, bank branch)

PSPS = [
    Psp("MOCKCARD1", "Carte Prova S.p.A.", "10000000001", 95, frozenset({"card"}), "MOCKCARD1_ONLINE"),
    Psp("MOCKBANK1", "Banca Demo del Nord", "10000000002", 150, frozenset({"card", "account"}), "MOCKBANK1_ONLINE"),
    Psp("MOCKBANK2", "Cassa Esempio di Risparmio", "10000000003", 120, frozenset({"account"}), "MOCKBANK2_ONLINE"),
    Psp("MOCKWALL1", "Portafoglio Simulato", "10000000004", 80, frozenset({"wallet"}), "MOCKWALL1_APP"),
    Psp("MOCKPAY01", "PagaFacile Demo", "10000000005", 100, frozenset({"card", "wallet"}), "MOCKPAY01_ONLINE"),
]
SHOP_PSPS = [
    Psp(
        "MOCKSHOP1", "Tabaccheria del Corso (rete simulata)", "10000000011", 200, frozenset({"shop"}), "MOCKSHOP1_POS"
    ),
    Psp("MOCKPOST1", "Ufficio postale (simulato)", "10000000012", 250, frozenset({"shop"}), "MOCKPOST1_SPORT"),
    Psp("MOCKATM01", "Sportello bancario ATM (simulato)", "10000000013", 130, frozenset({"shop"}), "MOCKATM01_ATM"),
]

# Test cards: what each number does on the card page.
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_TIMEOUT = "4000000000000119"
TEST_CARDS = {CARD_OK: "ok", CARD_DECLINED: "declined", CARD_TIMEOUT: "timeout"}


def psps_for(method: str) -> list[Psp]:
    """The PSPs offering a method, cheapest first (then by name), as Checkout lists them."""
    pool = SHOP_PSPS if method == "shop" else [psp for psp in PSPS if method in psp.methods]
    return sorted(pool, key=lambda psp: (psp.fee_cents, psp.name))


def psp_get(psp_id: str, method: str) -> Psp | None:
    return next((psp for psp in psps_for(method) if psp.id == psp_id), None)


def card_normalise(text: str) -> str:
    return "".join(ch for ch in (text or "") if not ch.isspace() and ch != "-")
