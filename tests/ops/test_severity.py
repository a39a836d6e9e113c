from __future__ import annotations

import pytest

from atende.ops.severity import Impact, Severity, propose_severity


@pytest.mark.parametrize(
    ("impact", "severity", "reason"),
    [
        (Impact(total_outage=True), Severity.ALTA, "parada total do sistema"),
        (Impact(emergency=True, affected_users=1), Severity.ALTA, "emergência"),
        (
            Impact(affected_users_pct=10.5),
            Severity.ALTA,
            "mais de 10% dos usuários afetados (10.5%)",
        ),
        # Exactly 10% is not "more than 10%".
        (Impact(affected_users_pct=10.0), Severity.MEDIA, "mais de um usuário afetado"),
        (Impact(partial_interruption=True), Severity.MEDIA, "interrupção parcial"),
        (Impact(degraded=True), Severity.MEDIA, "qualidade ou desempenho degradados"),
        (Impact(affected_users=2), Severity.MEDIA, "mais de um usuário afetado"),
        # A known head count wins over the share.
        (Impact(affected_users_pct=0.3, affected_users=1), Severity.BAIXA, None),
        (Impact(affected_users=1), Severity.BAIXA, None),
        (Impact(), Severity.BAIXA, None),
    ],
)
def test_proposal_follows_the_contract(
    impact: Impact, severity: Severity, reason: str | None
) -> None:
    proposal = propose_severity(impact)
    assert proposal.severity is severity
    if reason is not None:
        assert proposal.reason == reason


def test_labels_use_the_contract_spelling() -> None:
    assert [severity.label for severity in Severity] == ["ALTA", "MÉDIA", "BAIXA"]
    assert Severity("media") is Severity.MEDIA
