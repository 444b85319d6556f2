"""Generated tables that mimic real exports and their traps (see docs/real-tables.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

NAIVE_BAYES = (
    "Naive_Bayes_Classifier_Attrition_Flag_Card_Category_Contacts_Count_12_mon_"
    "Dependent_count_Education_Level_Months_Inactive_12_mon_"
)


def bank_churners(rows: int = 1_000, seed: int = 0) -> pd.DataFrame:
    """A table shaped like Kaggle's BankChurners.csv (credit-card customers, 16% attrited).

    Its traps: a 9-digit CLIENTNUM, the outcome Attrition_Flag as "Existing Customer" /
    "Attrited Customer", two 150-character naive-Bayes outputs that sum to 1 and predict
    the outcome, and 14 measures among which Credit_Limit and Avg_Open_To_Buy are
    almost the same number.
    """
    rng = np.random.default_rng(seed)
    attrited = rng.random(rows) < 0.16
    age = np.clip(rng.normal(46, 8, rows), 26, 73).round().astype(int)
    months_on_book = np.clip(age - 10 + rng.normal(0, 4, rows), 13, 56).round().astype(int)
    credit_limit = np.clip(np.exp(rng.normal(8.6, 0.8, rows)), 1_438, 34_516).round(1)
    revolving = np.where(
        rng.random(rows) < 0.25, 0, rng.uniform(200, 2_517, rows) * ~attrited
    ).round()
    revolving = np.minimum(revolving, credit_limit).astype(int)
    trans_count = np.clip(rng.normal(np.where(attrited, 45, 68), 18), 10, 139).round().astype(int)
    trans_amount = np.clip(trans_count * rng.normal(65, 15, rows), 510, 18_484).round().astype(int)
    probability = np.clip(np.where(attrited, 0.995, 0.00002) + rng.normal(0, 1e-5, rows), 0, 1)
    return pd.DataFrame(
        {
            "CLIENTNUM": rng.choice(np.arange(708_082_083, 828_343_083), rows, replace=False),
            "Attrition_Flag": np.where(attrited, "Attrited Customer", "Existing Customer"),
            "Customer_Age": age,
            "Gender": rng.choice(["F", "M"], rows),
            "Dependent_count": rng.integers(0, 6, rows),
            "Education_Level": rng.choice(
                ["Graduate", "High School", "Unknown", "Uneducated", "College"], rows
            ),
            "Marital_Status": rng.choice(["Married", "Single", "Unknown", "Divorced"], rows),
            "Income_Category": rng.choice(
                ["Less than $40K", "$40K - $60K", "$60K - $80K", "$80K - $120K", "Unknown"], rows
            ),
            "Card_Category": rng.choice(["Blue", "Silver", "Gold"], rows, p=[0.93, 0.055, 0.015]),
            "Months_on_book": months_on_book,
            "Total_Relationship_Count": rng.integers(1, 7, rows),
            "Months_Inactive_12_mon": rng.integers(0, 7, rows),
            "Contacts_Count_12_mon": rng.integers(0, 7, rows),
            "Credit_Limit": credit_limit,
            "Total_Revolving_Bal": revolving,
            "Avg_Open_To_Buy": (credit_limit - revolving).round(1),
            "Total_Amt_Chng_Q4_Q1": rng.normal(0.76, 0.2, rows).clip(0, 3.4).round(3),
            "Total_Trans_Amt": trans_amount,
            "Total_Trans_Ct": trans_count,
            "Total_Ct_Chng_Q4_Q1": rng.normal(0.71, 0.2, rows).clip(0, 3.7).round(3),
            "Avg_Utilization_Ratio": (revolving / credit_limit).round(3),
            NAIVE_BAYES + "1": probability.round(6),
            NAIVE_BAYES + "2": (1 - probability.round(6)).round(6),
        }
    )


def churn_table(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A small telco-like churn table: new, expensive customers churn most."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, rows)
    monthly = rng.uniform(18, 119, rows).round(2)
    risk = 0.05 + 0.5 * (tenure < 12) + 0.2 * (monthly > 70)
    churn = rng.random(rows) < risk
    return pd.DataFrame(
        {
            "customerID": [
                f"{n:04d}-{code}"
                for n, code in enumerate(
                    rng.choice(["VHVEG", "GNVDE", "QPYBK", "CFOCW", "HQITU"], rows)
                )
            ],
            "gender": rng.choice(["Female", "Male"], rows),
            "SeniorCitizen": rng.integers(0, 2, rows),
            "tenure": tenure,
            "Contract": np.where(
                tenure < 12, "Month-to-month", rng.choice(["One year", "Two year"], rows)
            ),
            "MonthlyCharges": monthly,
            "TotalCharges": np.where(tenure == 0, " ", (tenure * monthly).round(2).astype(str)),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )


def shop_customers(never: int, buyers: int = 120, seed: int = 0) -> pd.DataFrame:
    """A web shop's customer export (Shopify-like): ``buyers`` customers with orders and
    spend, and ``never`` sign-ups with 0 orders and 0.00 spent, listed last."""
    rng = np.random.default_rng(seed)
    orders = rng.integers(1, 12, buyers)
    return pd.DataFrame(
        {
            "Customer ID": [f"C{n:04d}" for n in range(buyers + never)],
            "Total Orders": [*orders, *[0] * never],
            "Total Spent": [*(orders * rng.gamma(4, 20, buyers)).round(2), *[0.0] * never],
            "Age": rng.integers(18, 80, buyers + never),
        }
    )
