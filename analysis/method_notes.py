"""Plain-language explanations of the duplication method's parameters, and its measured
quality, for the method page."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PARAMETER_HELP = {
    "ngram_range": _("비교에 쓰는 글자 n-그램의 길이(최소, 최대)."),
    "description_weight": _("이름에 견준 설명문의 비중(0이면 이름만 비교)."),
    "similarity_threshold": _("이웃으로 잇는 최소 코사인 유사도."),
    "neighbours": _("서비스마다 잇는 가장 비슷한 이웃의 최대 수."),
    "resolution": _(
        "묶음 안 서비스들의 평균 유사도가 넘어야 하는 기준(Leiden CPM 해상도). "
        "클수록 묶음이 작고 엄격해집니다."
    ),
    "generic_min_df": _("이 비율 이상의 서비스 이름에 나오는 낱말은 일반어로 보고 뺍니다."),
    "generic_min_count": _("일반어로 보려면 최소 이만큼 나와야 합니다."),
    "min_core_chars": _("일반어를 떼어 낸 뒤 남아야 하는 최소 글자 수(스마트폴이 폴로 줄지 않게)."),
    "min_municipalities": _("공유된 아이디어로 보려면 묶음에 있어야 하는 자치단체 수."),
    "sublinear_tf": _("TF-IDF에서 빈도에 로그를 씌우는지 여부."),
    "max_ngram_df": _("이 비율보다 많은 이름에 나오는 n-그램은 비교에서 뺍니다."),
    "seed": _("무작위성을 고정하는 값(같은 입력이면 같은 결과)."),
    "leiden_iterations": _("Leiden 반복 횟수(-1이면 더 나아지지 않을 때까지)."),
    "chunk_size": _("유사도를 한 번에 계산하는 행 수(메모리에만 영향, 결과는 같음)."),
    "workers": _("유사도 계산에 쓰는 스레드 수(속도에만 영향, 결과는 같음)."),
    "generic_affixes": _("낱말 앞뒤에 붙었을 때도 떼어 내는 일반어."),
    "generic_words": _("낱말 하나로 서 있을 때만 빼는 일반어."),
    "protected_words": _("일반어로 시작하거나 끝나도 그대로 두는 복합어(스마트팜 등)."),
    "equivalents": _("같은 뜻으로 맞추는 표현(증강현실 → AR 등)."),
    "use_lexicon": _(
        "도메인 어휘집(analysis/lexicon.csv)의 동의어를 한 표기로 맞출지(폐기물 → 쓰레기 등)."
    ),
}

# What a run records beside the parameters (``analysis.runs``).
RUN_HELP = {
    "lexicon_version": _("실행이 쓴 어휘집 파일의 판(내용의 SHA-256 앞 12자리)."),
    "learned_same": _("실행이 쓴, 담당자 결정에서 배운 '같은 아이디어' 항목 수."),
    "learned_different": _("실행이 쓴, 담당자 결정에서 배운 '다른 아이디어' 항목 수."),
}


@dataclass(frozen=True)
class MeasuredQuality:
    """Pair precision, recall and F1 of the method on one labelled part (pairs of services of
    different local governments), as measured; the tests in ``tests/analysis`` re-measure each
    figure and fail if the method no longer reaches it."""

    part: str
    names: int
    concepts: int
    precision: float
    recall: float
    f1: float
    how: str


MEASURED_QUALITY = (
    MeasuredQuality(
        part=_("조정용 (tests/analysis/labelled_services.csv)"),
        names=663,
        concepts=142,
        precision=0.735,
        recall=0.432,
        f1=0.544,
        how=_(
            "기본값과 어휘집을 이 이름들을 보며 골랐습니다. 개념을 세 무리로 나눠(두 번 섞어) "
            "한 무리씩 채점한 교차 검증 값이라 낙관적입니다."
        ),
    ),
    MeasuredQuality(
        part=_("보류 (tests/analysis/labelled_holdout.csv)"),
        names=258,
        concepts=59,
        precision=0.923,
        recall=0.428,
        f1=0.585,
        how=_(
            "조정에 한 번도 쓰지 않은 개념의 이름입니다. 방법, 매개변수, 어휘집을 고정한 뒤 "
            "한 번만 채점했습니다(방법 판 3)."
        ),
    ),
)
